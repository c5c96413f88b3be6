// A dyad timeline (`dyad dyad A B --plot FILE.svg`) drawn as a self-contained
// SVG chart: the Goldstein sum per period as grouped bars, one colour per
// direction (A→B, B→A) with a legend naming both countries, bars going up or
// down from a zero baseline, labelled axes and a title. Each bar carries a
// <title> (shown on hover) with its period, direction, event count and sum.
//   std::string svg = DyadTimelineSvg(view);  // write it to a .svg file
// The SVG needs nothing else to open in a browser: no scripts, no external
// fonts or stylesheets. Pure function; thread-safe.
#pragma once

#include <string>

#include "service/render.h"

namespace dyad::service {

// Returns a well-formed SVG document (UTF-8, with an XML declaration) for
// `answer`. Promises:
//  - exactly one <rect class="bar"> per bucket with events > 0, inside the
//    <g class="series a_to_b"> or <g class="series b_to_a"> of its direction;
//    a bucket whose sum is zero still gets a bar of visible height;
//  - a positive sum is drawn above the zero baseline, a negative one below;
//  - time is linear: every period from the first dated bucket to the last
//    has a slot (its label may be thinned out); periods that are not dates
//    of `answer.by` ("undated") get slots of their own at the right end;
//  - node names and periods are XML-escaped (characters XML cannot hold,
//    and bytes that are not UTF-8, become U+FFFD);
//  - an answer without buckets gives a valid chart that says "no events";
//  - the output depends on `answer` alone (numbers in fixed decimals), so
//    equal answers give equal bytes. The facts of the buckets are not used.
std::string DyadTimelineSvg(const DyadView& answer);

}  // namespace dyad::service
