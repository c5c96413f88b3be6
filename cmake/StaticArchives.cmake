# Links gRPC, Abseil, protobuf and the C libraries under them from the static
# archives that their Debian -dev packages ship beside the shared objects.
#
# Why: the `dyad` command line is started once per question. Linked against
# the shared objects it mapped 66 of them and resolved ~17k symbol
# relocations across them before main() ran: `dyad --version` took 47 ms,
# most of it for gRPC, which an embedded query never calls. With the
# archives it maps 9 and starts in 14 ms. The dependencies stay those that
# find_package finds; only the file each imported target points at changes.
#
# dyad_use_static_archives() rewrites, for every imported target of the
# calling directory, each location and interface link item that names a
# shared object /…/libNAME.so[.VERSION] (or a bare `NAME` or `-lNAME`) with a
# libNAME.a next to it, to that archive. Libraries without an archive (fmt,
# simdjson) and those kept shared on purpose (`keep`) are left alone.

function(_dyad_static_archive_of item keep out_var)
  set(${out_var} "" PARENT_SCOPE)
  if(item MATCHES "^\\$<LINK_ONLY:(.+)>$")
    _dyad_static_archive_of("${CMAKE_MATCH_1}" "${keep}" archive)
    if(archive)
      set(${out_var} "$<LINK_ONLY:${archive}>" PARENT_SCOPE)
    endif()
    return()
  endif()
  if(item MATCHES "^(/.+)/lib([A-Za-z0-9_+.-]+)\\.so(\\.[0-9.]+)?$")
    set(dir "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
  else()
    # A failed MATCHES clears CMAKE_MATCH_<n>: one test per branch.
    if(item MATCHES "^-l([A-Za-z0-9_+]+)$")
      set(name "${CMAKE_MATCH_1}")
    elseif(item MATCHES "^([A-Za-z0-9_+]+)$")
      set(name "${CMAKE_MATCH_1}")
    else()
      return()
    endif()
    find_library(_dyad_archive_${name} NAMES lib${name}.a NO_CACHE)
    if(NOT _dyad_archive_${name})
      return()
    endif()
    get_filename_component(dir "${_dyad_archive_${name}}" DIRECTORY)
  endif()
  # The C library's own parts are never taken from archives.
  if(name MATCHES "^(c|m|dl|rt|pthread|atomic|stdc\\+\\+|gcc_s)$" OR name IN_LIST keep OR NOT EXISTS "${dir}/lib${name}.a")
    return()
  endif()
  set(${out_var} "${dir}/lib${name}.a" PARENT_SCOPE)
endfunction()

function(dyad_use_static_archives)
  cmake_parse_arguments(ARG "" "" "KEEP" ${ARGN})
  get_directory_property(targets IMPORTED_TARGETS)
  set(location_properties IMPORTED_LOCATION)
  foreach(config NONE NOCONFIG RELEASE RELWITHDEBINFO DEBUG MINSIZEREL)
    list(APPEND location_properties IMPORTED_LOCATION_${config})
  endforeach()
  set(swapped 0)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      set(properties INTERFACE_LINK_LIBRARIES)
    else()
      set(properties ${location_properties} INTERFACE_LINK_LIBRARIES)
    endif()
    foreach(property IN LISTS properties)
      get_target_property(value ${target} ${property})
      if(NOT value)
        continue()
      endif()
      set(rewritten "")
      foreach(item IN LISTS value)
        _dyad_static_archive_of("${item}" "${ARG_KEEP}" archive)
        if(archive)
          list(APPEND rewritten "${archive}")
          math(EXPR swapped "${swapped} + 1")
        else()
          list(APPEND rewritten "${item}")
        endif()
      endforeach()
      set_target_properties(${target} PROPERTIES ${property} "${rewritten}")
    endforeach()
  endforeach()
  message(STATUS "dyad: linking ${swapped} dependency libraries from their static archives")
endfunction()
