// Bad input: a catalogue of malformed or conflicting lines (fact-format.md,
// "Errors"). Each case loads a few good records into a store, then a text
// whose good lines share a chunk with one bad line, and checks that the load
// stops with "facts.jsonl:<line>: <field>: <reason>" and that nothing of the
// chunk became visible: the store's raw bytes are the same as before.
// Adding a case is adding one row to Cases().
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "storage/loader.h"
#include "storage/store.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using storage::LoadOptions;
using storage::LoadSummary;
using storage::NodeId;
using storage::Store;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr size_t kLimit = 1048576;  // storage::kMaxLineBytes, spelled out

// Joins lines, each ending in '\n'.
std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Committed by a separate load before each case: the store is not empty.
const std::string kBase = Lines({
    R"({"kind":"entity","label":"Person","name":"A","aliases":["Ay"]})",
    R"({"kind":"entity","label":"Person","name":"B","aliases":["Bee"]})",
    R"({"kind":"fact","subject":{"label":"Person","name":"A"},"predicate":"MET",)"
    R"("object":{"label":"Person","name":"B"},"valid_from":"2012-01-01",)"
    R"("source":{"doc":"base-1","published":"2012-01-02"}})",
});

// The first lines of every failing load: a new node with a new label and a
// new predicate, a corroboration of the base fact and a change to node B, all
// in the chunk that the bad line then spoils. The bad line comes at line 6
// unless a case adds good lines of its own first.
const std::string kPrefix = Lines({
    R"(# good lines first; the bad line follows them in the same chunk)",
    R"({"kind":"entity","label":"Person","name":"C","aliases":["See"],"props":{"office":"Minister"}})",
    R"({"kind":"fact","subject":{"label":"Person","name":"C"},"predicate":"VISITED",)"
    R"("object":{"label":"Location","name":"Islamabad"},"valid_from":"2012-10-03",)"
    R"("source":{"doc":"doc-2","outlet":"Dawn"}})",
    R"({"kind":"fact","subject":{"label":"Person","name":"Ay"},"predicate":"MET",)"
    R"("object":{"label":"Person","name":"Bee"},"valid_from":"2012-01-01","confidence":0.5,)"
    R"("source":{"doc":"doc-2"}})",
    R"({"kind":"entity","label":"Person","name":"B","aliases":["Bea"],"props":{"rank":3}})",
});

// A fact line: {"kind":"fact", then `fields` (already comma-separated)}.
std::string FactWith(const std::string& fields) { return R"({"kind":"fact",)" + fields + "}"; }

const std::string kSubj = R"("subject":{"label":"Person","name":"A"})";
const std::string kObj = R"("object":{"label":"Person","name":"B"})";
const std::string kPred = R"("predicate":"MET")";
const std::string kSrc = R"("source":{"doc":"doc-3"})";

// A good fact but for the field given in `extra` (or replacing one part).
std::string Fact(const std::string& extra) {
  return FactWith(kSubj + "," + kPred + "," + kObj + "," + kSrc + (extra.empty() ? "" : ",") +
                  extra);
}

// A good entity line ("D") plus `extra` fields.
std::string Entity(const std::string& extra) {
  return R"({"kind":"entity","label":"Person","name":"D")" + (extra.empty() ? "" : "," + extra) +
         "}";
}

// An entity line of exactly `bytes` bytes (without its newline).
std::string LineOfBytes(size_t bytes) {
  const std::string head = R"({"kind":"entity","label":"Person","name":"D","props":{"bio":")";
  const std::string tail = R"("}})";
  return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

struct BadCase {
  std::string name;  // test name: letters, digits, '_'
  std::string text;  // appended to kPrefix
  uint64_t line;     // the line reported
  std::string field;
  std::vector<std::string> reason;  // each must appear in the reason
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::vector<BadCase> Cases() {
  const std::string invalid_utf8 =
      R"({"kind":"entity","label":"Person","name":"D)" + std::string("\xFF\xFE") + R"("})";
  const std::string overlong_utf8 =  // "/" encoded in two bytes
      R"({"kind":"entity","label":"Person","name":"D)" + std::string("\xC0\xAF") + R"("})";
  const std::string control_char =
      R"({"kind":"entity","label":"Person","name":"D)" + std::string("\t") + R"(E"})";
  const std::string long_name(513, 'a');
  std::string long_utf8_name;  // 257 two-byte letters: 514 bytes, 257 characters
  for (int i = 0; i < 257; ++i) long_utf8_name += "\xC3\xA9";
  const std::string someone =
      R"({"kind":"entity","label":"Person","name":"Someone","id":"Person:x"})";

  return {
      // --- the line as a whole -------------------------------------------
      {"InvalidJson",
       Lines({R"({"kind":"entity","label":"Person","name":"D")"}),
       6,
       "json",
       {"not a valid JSON object"}},
      {"TrailingGarbage", Lines({Entity("") + " x"}), 6, "json", {"not a valid JSON object"}},
      {"TwoObjectsOnOneLine",
       Lines({Entity("") + Entity("")}),
       6,
       "json",
       {"not a valid JSON object"}},
      {"JsonArray", Lines({"[" + Entity("") + "]"}), 6, "json", {"must be an object", "an array"}},
      {"JsonString", Lines({R"("entity")"}), 6, "json", {"must be an object", "a string"}},
      {"InvalidUtf8InString", Lines({invalid_utf8}), 6, "json", {"invalid UTF-8"}},
      {"OverlongUtf8InString", Lines({overlong_utf8}), 6, "json", {"invalid UTF-8"}},
      {"UnescapedControlCharInString",
       Lines({control_char}),
       6,
       "json",
       {"not a valid JSON object"}},
      {"LineTooLong",
       Lines({LineOfBytes(kLimit + kLimit / 2)}),
       6,
       "line",
       {"is 1572864 bytes", "limit is 1048576"}},
      {"LineTooLongBeyondReadBuffer",
       Lines({LineOfBytes(5 * kLimit + 7)}),
       6,
       "line",
       {"is 5242887 bytes", "limit is 1048576"}},
      {"LineTooLongWithoutFinalNewline",
       LineOfBytes(4 * kLimit + 3),
       6,
       "line",
       {"is 4194307 bytes", "limit is 1048576"}},
      // --- kind ----------------------------------------------------------
      {"MissingKind", Lines({R"({"label":"Person","name":"D"})"}), 6, "kind", {"is required"}},
      {"UnknownKind",
       Lines({R"({"kind":"relation","label":"Person","name":"D"})"}),
       6,
       "kind",
       {"must be \"entity\" or \"fact\"", "relation"}},
      {"KindWrongCase",
       Lines({R"({"kind":"Entity","label":"Person","name":"D"})"}),
       6,
       "kind",
       {"must be \"entity\" or \"fact\"", "Entity"}},
      {"KindNotString",
       Lines({R"({"kind":1,"label":"Person","name":"D"})"}),
       6,
       "kind",
       {"must be a string", "a number"}},
      // --- entity --------------------------------------------------------
      {"EntityMissingLabel",
       Lines({R"({"kind":"entity","name":"D"})"}),
       6,
       "label",
       {"is required"}},
      {"LabelLowercase",
       Lines({R"({"kind":"entity","label":"person","name":"D"})"}),
       6,
       "label",
       {"must match [A-Z][A-Za-z0-9_]*"}},
      {"LabelDigitFirst",
       Lines({R"({"kind":"entity","label":"1Person","name":"D"})"}),
       6,
       "label",
       {"must match [A-Z][A-Za-z0-9_]*"}},
      {"LabelWithSpace",
       Lines({R"({"kind":"entity","label":"Head of State","name":"D"})"}),
       6,
       "label",
       {"must match [A-Z][A-Za-z0-9_]*"}},
      {"LabelNotString",
       Lines({R"({"kind":"entity","label":["Person"],"name":"D"})"}),
       6,
       "label",
       {"must be a string", "an array"}},
      {"EntityMissingName",
       Lines({R"({"kind":"entity","label":"Person"})"}),
       6,
       "name",
       {"is required"}},
      {"EmptyName",
       Lines({R"({"kind":"entity","label":"Person","name":""})"}),
       6,
       "name",
       {"must not be empty"}},
      {"NameNotString",
       Lines({R"({"kind":"entity","label":"Person","name":7})"}),
       6,
       "name",
       {"must be a string", "a number"}},
      {"NameTooLong",
       Lines({R"({"kind":"entity","label":"Person","name":")" + long_name + R"("})"}),
       6,
       "name",
       {"is 513 bytes", "limit is 512"}},
      {"NameTooLongInBytesNotCharacters",
       Lines({R"({"kind":"entity","label":"Person","name":")" + long_utf8_name + R"("})"}),
       6,
       "name",
       {"is 514 bytes", "limit is 512"}},
      {"NameNormalisesToNothing",
       Lines({R"({"kind":"entity","label":"Person","name":"!!!"})"}),
       6,
       "name",
       {"normalises to nothing"}},
      {"EmptyId", Lines({Entity(R"("id":"")")}), 6, "id", {"must not be empty"}},
      {"AliasesNotArray",
       Lines({Entity(R"("aliases":"Dee")")}),
       6,
       "aliases",
       {"must be an array", "a string"}},
      {"AliasNotString",
       Lines({Entity(R"("aliases":["Dee",5])")}),
       6,
       "aliases[1]",
       {"must be a string", "a number"}},
      {"AliasEmpty",
       Lines({Entity(R"("aliases":["Dee",""])")}),
       6,
       "aliases[1]",
       {"must not be empty"}},
      {"AliasNormalisesToNothing",
       Lines({Entity(R"("aliases":["Dee","--"])")}),
       6,
       "aliases[1]",
       {"normalises to nothing"}},
      {"PropsNotObject",
       Lines({Entity(R"("props":"x")")}),
       6,
       "props",
       {"must be an object", "a string"}},
      {"PropsNestedObject",
       Lines({Entity(R"("props":{"a":1,"k":{"x":1}})")}),
       6,
       "props.k",
       {"flat", "an object"}},
      {"PropsArrayValue",
       Lines({Entity(R"("props":{"k":[1,2]})")}),
       6,
       "props.k",
       {"flat", "an array"}},
      {"PropsNullValue", Lines({Entity(R"("props":{"k":null})")}), 6, "props.k", {"flat", "null"}},
      {"PropsDuplicateKey",
       Lines({Entity(R"("props":{"k":1,"k":2})")}),
       6,
       "props.k",
       {"duplicate field"}},
      {"EntityUnknownField",
       Lines({Entity(R"("alias":["Dee"])")}),
       6,
       "alias",
       {"unknown field", "aliases"}},
      {"EntityDuplicateField", Lines({Entity(R"("name":"E")")}), 6, "name", {"duplicate field"}},
      // --- entity against the store ---------------------------------------
      {"AliasConflict",
       Lines({R"({"kind":"entity","label":"Person","name":"A","aliases":["Ace","Bee"]})"}),
       6,
       "aliases[1]",
       {"Bee", "already names", "Person:a", "Person:b"}},
      {"AliasConflictWithNodeOfSameChunk",
       Lines({R"({"kind":"entity","label":"Person","name":"B","aliases":["See"]})"}),
       6,
       "aliases[0]",
       {"See", "already names", "Person:b", "Person:c"}},
      {"AliasConflictWithNodeAFactCreated",
       Lines(
           {FactWith(R"("subject":{"label":"Person","name":"Kiani"},)" + kPred + "," + kObj + "," +
                     kSrc),
            R"({"kind":"entity","label":"Person","name":"Kayani","aliases":["Gen Kayani","Kiani"]})"}),
       7,
       "aliases[1]",
       {"Kiani", "already names", "Person:kiani", "Person:kayani"}},
      {"NameOfAnotherNodeWithOtherId",
       Lines({R"({"kind":"entity","label":"Person","name":"Bee","id":"Person:bee"})"}),
       6,
       "name",
       {"already names", "Person:b", "Person:bee"}},
      {"IdOfNodeWithOtherLabel",
       Lines({R"({"kind":"entity","label":"Organization","name":"Acme","id":"Person:a"})"}),
       6,
       "label",
       {"Person:a", "Person", "Organization"}},
      {"EntityDefaultIdTaken",
       Lines({someone, R"({"kind":"entity","label":"Person","name":"X"})"}),
       7,
       "name",
       {"Person:x", "already belongs", "Someone"}},
      // --- fact: nodes ----------------------------------------------------
      {"FactMissingSubject",
       Lines({FactWith(kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject",
       {"is required"}},
      {"SubjectNotObject",
       Lines({FactWith(R"("subject":"A",)" + kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject",
       {"must be an object", "a string"}},
      {"SubjectIdAndLabel",
       Lines({FactWith(R"("subject":{"id":"Person:a","label":"Person"},)" + kPred + "," + kObj +
                       "," + kSrc)}),
       6,
       "subject",
       {"either \"id\" alone or \"label\" and \"name\""}},
      {"SubjectLabelMissing",
       Lines({FactWith(R"("subject":{"name":"A"},)" + kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject.label",
       {"is required"}},
      {"SubjectLabelLowercase",
       Lines({FactWith(R"("subject":{"label":"person","name":"A"},)" + kPred + "," + kObj + "," +
                       kSrc)}),
       6,
       "subject.label",
       {"must match [A-Z][A-Za-z0-9_]*"}},
      {"SubjectNameMissing",
       Lines({FactWith(R"("subject":{"label":"Person"},)" + kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject.name",
       {"is required"}},
      {"SubjectNameEmpty",
       Lines({FactWith(R"("subject":{"label":"Person","name":""},)" + kPred + "," + kObj + "," +
                       kSrc)}),
       6,
       "subject.name",
       {"must not be empty"}},
      {"SubjectUnknownField",
       Lines({FactWith(R"("subject":{"label":"Person","name":"A","nmae":"A"},)" + kPred + "," +
                       kObj + "," + kSrc)}),
       6,
       "subject.nmae",
       {"unknown field"}},
      {"SubjectUnknownId",
       Lines({FactWith(R"("subject":{"id":"Person:nobody"},)" + kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject.id",
       {"no node has id", "Person:nobody"}},
      {"SubjectIdNotString",
       Lines({FactWith(R"("subject":{"id":7},)" + kPred + "," + kObj + "," + kSrc)}),
       6,
       "subject.id",
       {"must be a string", "a number"}},
      {"SubjectDefaultIdTaken",
       Lines({someone, FactWith(R"("subject":{"label":"Person","name":"X"},)" + kPred + "," + kObj +
                                "," + kSrc)}),
       7,
       "subject.name",
       {"\"X\" is unknown", "Person:x", "already belongs", "Someone"}},
      {"ObjectMissing",
       Lines({FactWith(kSubj + "," + kPred + "," + kSrc)}),
       6,
       "object",
       {"is required"}},
      {"ObjectUnknownId",
       Lines({FactWith(kSubj + "," + kPred + R"(,"object":{"id":"Location:atlantis"},)" + kSrc)}),
       6,
       "object.id",
       {"no node has id", "Location:atlantis"}},
      {"ObjectNameNormalisesToNothing",
       Lines({FactWith(kSubj + "," + kPred + R"(,"object":{"label":"Location","name":"..."},)" +
                       kSrc)}),
       6,
       "object.name",
       {"normalises to nothing"}},
      {"ObjectDefaultIdTaken",
       Lines({someone, FactWith(kSubj + "," + kPred +
                                R"(,"object":{"label":"Person","name":"X"},)" + kSrc)}),
       7,
       "object.name",
       {"\"X\" is unknown", "Person:x", "already belongs"}},
      // --- fact: predicate -------------------------------------------------
      {"PredicateLowercase",
       Lines({FactWith(kSubj + R"(,"predicate":"visited",)" + kObj + "," + kSrc)}),
       6,
       "predicate",
       {"must match [A-Z][A-Z0-9_]*"}},
      {"PredicateWithDash",
       Lines({FactWith(kSubj + R"(,"predicate":"CANCELLED-VISIT",)" + kObj + "," + kSrc)}),
       6,
       "predicate",
       {"must match [A-Z][A-Z0-9_]*"}},
      {"PredicateEmpty",
       Lines({FactWith(kSubj + R"(,"predicate":"",)" + kObj + "," + kSrc)}),
       6,
       "predicate",
       {"must match [A-Z][A-Z0-9_]*"}},
      {"PredicateMissing",
       Lines({FactWith(kSubj + "," + kObj + "," + kSrc)}),
       6,
       "predicate",
       {"is required"}},
      {"PredicateNotString",
       Lines({FactWith(kSubj + R"(,"predicate":5,)" + kObj + "," + kSrc)}),
       6,
       "predicate",
       {"must be a string", "a number"}},
      // --- fact: dates -----------------------------------------------------
      {"ValidFromMonth13",
       Lines({Fact(R"("valid_from":"2012-13-01")")}),
       6,
       "valid_from",
       {"2012-13-01", "not an ISO-8601 date", "month"}},
      {"ValidFromFebruary30",
       Lines({Fact(R"("valid_from":"2012-02-30")")}),
       6,
       "valid_from",
       {"2012-02-30", "not an ISO-8601 date", "no such day"}},
      {"ValidFromYesterday",
       Lines({Fact(R"("valid_from":"yesterday")")}),
       6,
       "valid_from",
       {"yesterday", "not an ISO-8601 date"}},
      {"ValidFromDateTimeWithoutZone",
       Lines({Fact(R"("valid_from":"2012-10-03T10:00:00")")}),
       6,
       "valid_from",
       {"2012-10-03T10:00:00", "'Z' or an offset"}},
      {"ValidFromNumber",
       Lines({Fact(R"("valid_from":20121003)")}),
       6,
       "valid_from",
       {"must be an ISO-8601 date string", "a number"}},
      {"ValidToShortDay",
       Lines({Fact(R"("valid_to":"2012-10-3")")}),
       6,
       "valid_to",
       {"2012-10-3", "not an ISO-8601 date"}},
      {"ValidToBeforeValidFrom",
       Lines({Fact(R"("valid_from":"2012-10-04","valid_to":"2012-10-03")")}),
       6,
       "valid_to",
       {"2012-10-03", "before", "2012-10-04"}},
      {"ValidToBeforeValidFromInUtc",
       Lines({Fact(R"("valid_from":"2012-10-04","valid_to":"2012-10-04T02:00:00+05:00")")}),
       6,
       "valid_to",
       {"2012-10-03", "before", "2012-10-04"}},
      // --- fact: confidence ------------------------------------------------
      {"ConfidenceZero", Lines({Fact(R"("confidence":0)")}), 6, "confidence", {"outside (0, 1]"}},
      {"ConfidenceAboveOne",
       Lines({Fact(R"("confidence":1.5)")}),
       6,
       "confidence",
       {"1.5", "outside (0, 1]"}},
      {"ConfidenceNegative",
       Lines({Fact(R"("confidence":-0.25)")}),
       6,
       "confidence",
       {"-0.25", "outside (0, 1]"}},
      {"ConfidenceString",
       Lines({Fact(R"("confidence":"0.9")")}),
       6,
       "confidence",
       {"must be a number", "a string"}},
      // --- fact: source ----------------------------------------------------
      {"SourceMissing",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj)}),
       6,
       "source",
       {"is required"}},
      {"SourceNotObject",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":"dawn-2012-10-04")")}),
       6,
       "source",
       {"must be an object", "a string"}},
      {"SourceDocMissing",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"outlet":"Dawn"})")}),
       6,
       "source.doc",
       {"is required"}},
      {"SourceDocEmpty",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":""})")}),
       6,
       "source.doc",
       {"must not be empty"}},
      {"SourceDocNotString",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":12})")}),
       6,
       "source.doc",
       {"must be a string", "a number"}},
      {"SourceFieldNumber",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":"d","page":5})")}),
       6,
       "source.page",
       {"must be a string", "a number"}},
      {"SourcePublishedMalformed",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj +
                       R"(,"source":{"doc":"d","published":"04/10/2012"})")}),
       6,
       "source.published",
       {"04/10/2012", "not an ISO-8601 date"}},
      {"SourceDuplicateField",
       Lines({FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":"d","doc":"e"})")}),
       6,
       "source.doc",
       {"duplicate field"}},
      // --- fact: other fields ----------------------------------------------
      {"FactUnknownFieldTypo",
       Lines({Fact(R"("valid_form":"2012-10-03")")}),
       6,
       "valid_form",
       {"unknown field", "valid_from"}},
      {"FactWithEntityField", Lines({Fact(R"("aliases":["x"])")}), 6, "aliases", {"unknown field"}},
      {"FactDuplicateField",
       Lines({Fact(R"("predicate":"MET")")}),
       6,
       "predicate",
       {"duplicate field"}},
      {"FactPropsNestedObject",
       Lines({Fact(R"("props":{"k":{"x":1}})")}),
       6,
       "props.k",
       {"flat", "an object"}},
      {"FactPropsEmptyKey",
       Lines({Fact(R"("props":{"":1})")}),
       6,
       "props",
       {"keys must not be empty"}},
  };
}

class BadInputTest : public ::testing::TestWithParam<BadCase> {
 protected:
  // A store holding kBase, committed by its own load.
  std::unique_ptr<Store> StoreWithBase() {
    auto store = OpenStore(dir_ / "db");
    if (store == nullptr) return nullptr;
    LoadSummary summary;
    Status s = LoadText(*store, kBase, &summary);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(summary.committed_lines, 3u);
    return store;
  }

  static NodeId Id(const Store& store, std::string_view ref) {
    Result<NodeId> id = store.Resolve(ref);
    EXPECT_TRUE(id.ok()) << ref << ": " << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  static std::vector<std::string> PredicatesOf(const Store& store, std::string_view ref) {
    std::vector<std::string> out;
    Result<storage::FactList> facts = store.FactsOf(Id(store, ref), {});
    EXPECT_TRUE(facts.ok()) << facts.status().ToString();
    if (facts.ok()) {
      for (const auto& f : *facts) out.push_back(f.predicate);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
};

TEST_P(BadInputTest, StopsAtTheBadLineAndCommitsNothingOfItsChunk) {
  const BadCase& c = GetParam();
  auto store = StoreWithBase();
  ASSERT_NE(store, nullptr);
  const std::string before = RawScan(*store);
  const storage::Stats stats_before = store->GetStats();
  ASSERT_FALSE(before.empty());

  LoadSummary summary;
  Status s = LoadText(*store, kPrefix + c.text, &summary);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  const std::string head = "facts.jsonl:" + std::to_string(c.line) + ": " + c.field + ": ";
  EXPECT_THAT(s.message(), StartsWith(head));
  for (const auto& word : c.reason) EXPECT_THAT(s.message(), HasSubstr(word));
  ASSERT_EQ(summary.bad_lines.size(), 1u) << s.ToString();
  const storage::BadLine& bad = summary.bad_lines[0];
  EXPECT_EQ(bad.file, "facts.jsonl");
  EXPECT_EQ(bad.line, c.line);
  EXPECT_EQ(bad.field, c.field);
  for (const auto& word : c.reason) EXPECT_THAT(bad.reason, HasSubstr(word));
  EXPECT_EQ(bad.ToString(), s.message());
  EXPECT_EQ(summary.committed_lines, 0u);
  EXPECT_EQ(summary.entities, 0u);
  EXPECT_EQ(summary.facts_added, 0u);
  EXPECT_EQ(summary.facts_corroborated, 0u);

  // Nothing of the chunk is visible: not on disk, not in the in-memory
  // dictionaries and counters.
  EXPECT_EQ(RawScan(*store), before);
  const storage::Stats stats_after = store->GetStats();
  EXPECT_EQ(stats_after.nodes, stats_before.nodes);
  EXPECT_EQ(stats_after.facts, stats_before.facts);
  EXPECT_EQ(stats_after.sources, stats_before.sources);
  EXPECT_EQ(stats_after.labels, stats_before.labels);
  EXPECT_EQ(stats_after.predicates, stats_before.predicates);
  EXPECT_FALSE(store->LabelIdOf("Location").has_value());
  EXPECT_FALSE(store->PredicateIdOf("VISITED").has_value());
  EXPECT_TRUE(store->Resolve("Person:C").status().IsNotFound());
  Result<storage::Node> b = store->GetNode(Id(*store, "Person:b"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_THAT(b->aliases, ElementsAre("Bee"));
  EXPECT_THAT(b->props, IsEmpty());

  // The store takes the good lines on their own afterwards.
  LoadSummary again;
  ASSERT_OK(LoadText(*store, kPrefix, &again));
  EXPECT_EQ(again.committed_lines, 4u);
  EXPECT_EQ(store->GetStats().nodes, stats_before.nodes + 2);
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

TEST(BadInputCatalogueTest, HasEnoughCasesWithUniqueNames) {
  std::vector<BadCase> cases = Cases();
  EXPECT_GE(cases.size(), 35u);
  std::vector<std::string> names;
  for (const auto& c : cases) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

// --- beyond the catalogue ------------------------------------------------

TEST_F(BadInputTest, SkipBadLoadsEveryGoodLineAndListsEveryBadOne) {
  auto store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  const std::string text = Lines({
      R"({"kind":"entity","label":"Person","name":"A"})",                        // 1
      R"({"kind":"entity","label":"Person","name":"B"})",                        // 2
      R"({"kind":"entity","label":"person","name":"Q"})",                        // 3 bad
      FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":"d1"})"),  // 4
      "",                                                                        // 5
      FactWith(kSubj + R"(,"predicate":"visited",)" + kObj + "," + kSrc),        // 6 bad
      "# a comment",                                                             // 7
      FactWith(kSubj +
               R"(,"predicate":"VISITED","object":{"label":"Location","name":"Islamabad"})" +
               R"(,"valid_from":"2012-10-03","source":{"doc":"d2"})"),  // 8
      R"({"kind":"entity","label":"Person")",                           // 9 bad
      R"({"kind":"entity","label":"Country","name":"Pakistan"})",       // 10
  });
  LoadOptions options;
  options.skip_bad = true;
  LoadSummary summary;
  Status s = LoadText(*store, text, &summary, options);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("3 bad lines"));
  EXPECT_THAT(s.message(), HasSubstr("facts.jsonl:3: label: "));
  ASSERT_EQ(summary.bad_lines.size(), 3u);
  EXPECT_EQ(summary.bad_lines[0].ToString(), "facts.jsonl:3: label: must match [A-Z][A-Za-z0-9_]*");
  EXPECT_EQ(summary.bad_lines[1].ToString(),
            "facts.jsonl:6: predicate: must match [A-Z][A-Z0-9_]*");
  EXPECT_EQ(summary.bad_lines[2].file, "facts.jsonl");
  EXPECT_EQ(summary.bad_lines[2].line, 9u);
  EXPECT_EQ(summary.bad_lines[2].field, "json");
  EXPECT_EQ(summary.lines, 8u);  // blank and comment lines aside
  EXPECT_EQ(summary.committed_lines, summary.lines);
  EXPECT_EQ(summary.entities, 3u);
  EXPECT_EQ(summary.facts_added, 2u);

  const storage::Stats stats = store->GetStats();
  EXPECT_EQ(stats.nodes, 4u);  // A, B, Islamabad, Pakistan
  EXPECT_EQ(stats.facts, 2u);
  EXPECT_EQ(stats.sources, 2u);
  EXPECT_THAT(PredicatesOf(*store, "Person:A"), ElementsAre("MET", "VISITED"));
  EXPECT_THAT(PredicatesOf(*store, "Location:Islamabad"), ElementsAre("VISITED"));
  EXPECT_TRUE(store->Resolve("Person:Q").status().IsNotFound());
  EXPECT_TRUE(store->Resolve("Country:Pakistan").ok());
}

TEST_F(BadInputTest, StopModeCommitsTheChunksBeforeTheBadLine) {
  auto store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  const std::string text = Lines({
      R"({"kind":"entity","label":"Person","name":"A"})",                        // 1, chunk 1
      R"({"kind":"entity","label":"Person","name":"B"})",                        // 2, chunk 1
      FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":"d1"})"),  // 3, chunk 2
      FactWith(kSubj +
               R"(,"predicate":"VISITED","object":{"label":"Location","name":"Islamabad"})" +
               R"(,"source":{"doc":"d1"})"),  // 4, chunk 2
      R"({"kind":"fact","subject":{"label":"Person","name":"B"},"predicate":"VISITED",)"
      R"("object":{"label":"Location","name":"Kabul"},"source":{"doc":"d5"}})",  // 5, chunk 3
      "# not a record",                                                          // 6
      FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":""})"),    // 7 bad
  });
  LoadOptions options;
  options.batch_records = 2;
  LoadSummary summary;
  Status s = LoadText(*store, text, &summary, options);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), "facts.jsonl:7: source.doc: must not be empty");
  ASSERT_EQ(summary.bad_lines.size(), 1u);
  EXPECT_EQ(summary.bad_lines[0].line, 7u);
  EXPECT_EQ(summary.committed_lines, 4u);
  EXPECT_EQ(summary.lines, 6u);
  EXPECT_EQ(summary.entities, 2u);
  EXPECT_EQ(summary.facts_added, 2u);

  const storage::Stats stats = store->GetStats();
  EXPECT_EQ(stats.nodes, 3u);  // A, B, Islamabad; not Kabul
  EXPECT_EQ(stats.facts, 2u);
  EXPECT_EQ(stats.sources, 1u);  // d1; not d5
  EXPECT_THAT(PredicatesOf(*store, "Person:A"), ElementsAre("MET", "VISITED"));
  EXPECT_THAT(PredicatesOf(*store, "Person:B"), ElementsAre("MET"));
  EXPECT_TRUE(store->Resolve("Location:Kabul").status().IsNotFound());

  // What is on disk is what the counters say: reopen and look again.
  const std::string scan = RawScan(*store);
  store.reset();
  store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawScan(*store), scan);
  EXPECT_EQ(store->GetStats().nodes, 3u);
  EXPECT_EQ(store->GetStats().facts, 2u);
}

TEST_F(BadInputTest, ConflictingAliasInSkipModeChangesNeitherNode) {
  auto store = StoreWithBase();
  ASSERT_NE(store, nullptr);
  const NodeId a = Id(*store, "Person:a");
  const NodeId b = Id(*store, "Person:b");
  const Result<storage::Node> b_before = store->GetNode(b);
  ASSERT_TRUE(b_before.ok());

  const std::string text = Lines({
      // 1: "Bee" names B: the whole record is refused, "Ace" and "Ayy" too.
      R"({"kind":"entity","label":"Person","name":"A","aliases":["Ace","Bee","Ayy"],"props":{"rank":1}})",
      // 2: a fact creates the plain node Kiani ...
      FactWith(R"("subject":{"label":"Person","name":"Kiani"},)" + kPred + "," + kObj + "," + kSrc),
      // 3: ... which a later entity cannot take as its alias.
      R"({"kind":"entity","label":"Person","name":"Kayani","aliases":["Kiani"]})",
      // 4: good lines still load.
      R"({"kind":"entity","label":"Person","name":"C","aliases":["See"]})",
  });
  LoadOptions options;
  options.skip_bad = true;
  LoadSummary summary;
  Status s = LoadText(*store, text, &summary, options);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  ASSERT_EQ(summary.bad_lines.size(), 2u);
  EXPECT_EQ(summary.bad_lines[0].line, 1u);
  EXPECT_EQ(summary.bad_lines[0].field, "aliases[1]");
  EXPECT_THAT(summary.bad_lines[0].reason, HasSubstr("Person:a"));
  EXPECT_THAT(summary.bad_lines[0].reason, HasSubstr("Person:b"));
  EXPECT_EQ(summary.bad_lines[1].line, 3u);
  EXPECT_EQ(summary.bad_lines[1].field, "aliases[0]");
  EXPECT_THAT(summary.bad_lines[1].reason, HasSubstr("Person:kiani"));
  EXPECT_THAT(summary.bad_lines[1].reason, HasSubstr("Person:kayani"));

  Result<storage::Node> b_after = store->GetNode(b);
  ASSERT_TRUE(b_after.ok());
  EXPECT_EQ(b_after->name, b_before->name);
  EXPECT_EQ(b_after->external_id, "Person:b");
  EXPECT_THAT(b_after->aliases, ElementsAre("Bee"));
  EXPECT_THAT(b_after->props, IsEmpty());
  Result<storage::Node> a_after = store->GetNode(a);
  ASSERT_TRUE(a_after.ok());
  EXPECT_THAT(a_after->aliases, ElementsAre("Ay"));  // not "Ace", not "Ayy"
  EXPECT_THAT(a_after->props, IsEmpty());
  EXPECT_THAT(*store->FindByName("Bee", "Person"), ElementsAre(b));
  EXPECT_THAT(*store->FindByName("Ace", "Person"), IsEmpty());
  EXPECT_THAT(*store->FindByName("Ayy", "Person"), IsEmpty());

  const NodeId kiani = Id(*store, "Person:kiani");
  Result<storage::Node> kiani_node = store->GetNode(kiani);
  ASSERT_TRUE(kiani_node.ok());
  EXPECT_FALSE(kiani_node->declared);
  EXPECT_THAT(kiani_node->aliases, IsEmpty());
  EXPECT_THAT(*store->FindByName("Kayani", "Person"), IsEmpty());
  EXPECT_THAT(*store->FindByName("Kiani", "Person"), ElementsAre(kiani));
  EXPECT_TRUE(store->Resolve("Person:C").ok());
}

TEST_F(BadInputTest, CommentsBlankLinesBomAndCrlfAreAccepted) {
  auto store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  const std::string text =
      "\xEF\xBB\xBF# facts, written on Windows\r\n"
      "\r\n"
      "   \t \r\n" +
      std::string(R"({"kind":"entity","label":"Person","name":"A","aliases":["Ay"]})") + "\r\n" +
      "  # an indented comment\r\n" +
      std::string(R"({"kind":"entity","label":"Person","name":"B"})") + "\r\n" + "\r\n" +
      FactWith(kSubj + "," + kPred + "," + kObj + R"(,"source":{"doc":"d1","quote":"they met"})") +
      "\r\n" +
      FactWith(R"("subject":{"label":"Person","name":"Ay"},"predicate":"CALLED",)" + kObj +
               R"(,"source":{"doc":"d1"})");  // the last line has no newline at all
  LoadSummary summary;
  ASSERT_OK(LoadText(*store, text, &summary));
  EXPECT_THAT(summary.bad_lines, IsEmpty());
  EXPECT_EQ(summary.lines, 4u);
  EXPECT_EQ(summary.committed_lines, 4u);
  EXPECT_EQ(summary.entities, 2u);
  EXPECT_EQ(summary.facts_added, 2u);
  EXPECT_EQ(store->GetStats().nodes, 2u);
  EXPECT_EQ(store->GetStats().facts, 2u);
  EXPECT_EQ(store->GetNode(Id(*store, "Person:b"))->name, "B");
  EXPECT_THAT(PredicatesOf(*store, "Person:A"), ElementsAre("CALLED", "MET"));
  auto facts = store->FactsOf(Id(*store, "Person:A"), {});
  ASSERT_TRUE(facts.ok());
  for (const auto& f : *facts) {
    ASSERT_EQ(f.sources.size(), 1u);
    for (const auto& field : f.sources[0].fields) {
      EXPECT_EQ(field.value().string_value().find('\r'), std::string::npos);
    }
  }

  // A BOM right before a record, and a bad line after CRLF lines keeps its number.
  auto other = OpenStore(dir_ / "db2");
  ASSERT_NE(other, nullptr);
  const std::string bom_record =
      "\xEF\xBB\xBF" + std::string(R"({"kind":"entity","label":"Person","name":"A"})") +
      "\r\n# c\r\n\r\n" + R"({"kind":"entity","label":"person","name":"B"})" + "\r\n";
  LoadOptions skip;
  skip.skip_bad = true;
  Status s = LoadText(*other, bom_record, &summary, skip);
  EXPECT_EQ(s.message(), "facts.jsonl:4: label: must match [A-Z][A-Za-z0-9_]*");
  EXPECT_EQ(summary.entities, 1u);
  EXPECT_TRUE(other->Resolve("Person:a").ok());
}

TEST_F(BadInputTest, LinesAfterAnOverlongLineKeepTheirNumbers) {
  auto store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  const std::string text = Lines({
      R"({"kind":"entity","label":"Person","name":"A"})",  // 1
      LineOfBytes(6 * kLimit),                             // 2 bad: longer than the read buffer
      R"({"kind":"entity","label":"Person","name":"B"})",  // 3
      R"({"kind":"entity","label":"Person","name":""})",   // 4 bad
      R"({"kind":"entity","label":"Person","name":"C"})",  // 5
  });
  LoadOptions options;
  options.skip_bad = true;
  LoadSummary summary;
  Status s = LoadText(*store, text, &summary, options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(summary.bad_lines.size(), 2u);
  EXPECT_EQ(summary.bad_lines[0].ToString(),
            "facts.jsonl:2: line: is 6291456 bytes; the limit is 1048576 bytes");
  EXPECT_EQ(summary.bad_lines[1].ToString(), "facts.jsonl:4: name: must not be empty");
  EXPECT_EQ(summary.entities, 3u);
  EXPECT_EQ(store->GetStats().nodes, 3u);
}

// A line of exactly the limit is good wherever it falls in the reader's
// 4 MiB buffer, also when it ends in "\r\n" (the '\r' is not part of it).
TEST_F(BadInputTest, LineAtTheLimitIsAcceptedAtAnyBufferOffset) {
  for (const std::string eol : {"\n", "\r\n"}) {
    SCOPED_TRACE(eol == "\n" ? "LF" : "CRLF");
    // Comment lines that put the long line's end exactly at the buffer's end.
    const size_t buffer = 4 * kLimit;
    const size_t lead = buffer - kLimit - (eol.size() - 1);
    std::string text;
    while (text.size() < lead) {
      size_t n = std::min(kLimit / 2, lead - text.size());
      text += n == 1 ? std::string("\n") : "#" + std::string(n - 2, '-') + "\n";
    }
    ASSERT_EQ(text.size(), lead);
    text += LineOfBytes(kLimit) + eol;
    TempDir dir;
    auto store = OpenStore(dir / "db");
    ASSERT_NE(store, nullptr);
    LoadSummary summary;
    Status s = LoadText(*store, text, &summary);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(summary.entities, 1u);
  }
}

TEST_F(BadInputTest, BadLineInASecondFileNamesThatFile) {
  auto store = OpenStore(dir_ / "db");
  ASSERT_NE(store, nullptr);
  WriteFile(dir_ / "a.jsonl", Lines({R"({"kind":"entity","label":"Person","name":"A"})"}));
  WriteFile(dir_ / "b.jsonl", Lines({R"({"kind":"entity","label":"Person","name":"B"})",
                                     R"({"kind":"entity","label":"Person","name":"!!!"})"}));
  int fa = ::open((dir_ / "a.jsonl").c_str(), O_RDONLY | O_CLOEXEC);
  int fb = ::open((dir_ / "b.jsonl").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fa, 0);
  ASSERT_GE(fb, 0);
  LoadSummary summary;
  Status s;
  {
    storage::Loader loader(*store, LoadOptions{});
    s = loader.Load({{"a.jsonl", fa, {}}, {"b.jsonl", fb, {}}}, &summary);
  }
  ::close(fa);
  ::close(fb);
  EXPECT_THAT(s.message(), StartsWith("b.jsonl:2: name: "));
  EXPECT_THAT(s.message(), HasSubstr("normalises to nothing"));
  EXPECT_EQ(summary.committed_lines, 0u);  // both files share the chunk
  EXPECT_EQ(store->GetStats().nodes, 0u);
}

}  // namespace
}  // namespace dyad::testing
