// The exit codes of the `dyad` command line (cli.md) and the one place that
// turns a Status into one.
#pragma once

#include "storage/status.h"

namespace dyad::service {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,      // internal or I/O error, store in use, another format version
  kExitUsage = 2,      // unknown flag, missing argument
  kExitBadInput = 3,   // bad lines in a load, a malformed date or number
  kExitNotFound = 4,   // unknown node, find with no match
  kExitAmbiguous = 5,  // a name that matches several nodes
  kExitUnauthenticated = 6,
  kExitUnavailable = 7,  // server unavailable or deadline exceeded
};

int ToExitCode(const Status& status);

}  // namespace dyad::service
