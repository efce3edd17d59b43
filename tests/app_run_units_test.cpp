// The command line's own units: manifest parsing, the JSON report and its percentiles, and
// the progress line's duration format — against hand-worked expected values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/progress.h"
#include "apps/run_manifest.h"
#include "apps/run_report.h"
#include "importer/json_reader.h"
#include "kernels/error.h"

namespace p3d::app {
namespace {

TEST(Manifest, FieldsCommentsAndRelativePaths) {
  const std::string text =
      "# photo landmarks mask\n"
      "a.jpg\n"
      "\n"
      "sub/b.png  sub/b_landmark.txt   sub/b.mat  # trailing comment\n"
      "/abs/c d.jpg\t/abs/c_detection.txt\n";
  const std::vector<ManifestEntry> m = parse_manifest(text, "/data/set", "list.txt");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].photo, "/data/set/a.jpg");
  EXPECT_EQ(m[0].line, 2);
  EXPECT_TRUE(m[0].landmarks.empty() && m[0].mask.empty());
  EXPECT_EQ(m[1].photo, "/data/set/sub/b.png");
  EXPECT_EQ(m[1].landmarks, "/data/set/sub/b_landmark.txt");
  EXPECT_EQ(m[1].mask, "/data/set/sub/b.mat");
  EXPECT_EQ(m[2].photo, "/abs/c d.jpg");  // tabs: paths may hold spaces
  EXPECT_EQ(m[2].landmarks, "/abs/c_detection.txt");
  EXPECT_EQ(m[2].line, 5);
}

TEST(Manifest, ErrorsNameTheFileAndLine) {
  try {
    parse_manifest("a.jpg\nb.jpg x y z\n", "/d", "list.txt");
    FAIL() << "four fields were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("list.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_manifest("# nothing\n\n", "/d", "empty.txt"), Error);
  EXPECT_THROW(read_manifest("/no/such/manifest.txt"), Error);
}

TEST(RunReport, PercentilesAreNearestRank) {
  const std::vector<double> v = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
  EXPECT_EQ(percentile(v, 50), 5);
  EXPECT_EQ(percentile(v, 90), 9);
  EXPECT_EQ(percentile(v, 99), 10);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 1), 7);
}

TEST(RunReport, JsonParsesBackWithItsTotals) {
  RunReport r;
  r.device = "cpu";
  r.batch = 4;
  for (int i = 0; i < 3; ++i) {
    PortraitReport p;
    p.name = "p" + std::to_string(i);
    p.photo = "dir/\"odd\"\tname.jpg";  // escaping
    p.stage_ms = {{"load", 1.0 + i}, {"  face detection", 0.5}, {"R-Net", 10.0}};
    p.outputs = {"out/p.obj"};
    r.portraits.push_back(p);
  }
  r.portraits[2].status = "failed";
  r.portraits[2].error = "landmarks: bad \\ file\n";
  const JsonValue j = JsonValue::parse(run_report_json(r), "report");
  EXPECT_EQ(j.at("totals").at("ok").as_number(), 2);
  EXPECT_EQ(j.at("totals").at("failed").as_number(), 1);
  // Totals of the ok portraits: 11 and 12 ms -> p50 11, p99 12.
  EXPECT_DOUBLE_EQ(j.at("totals").at("portrait_ms").at("p50").as_number(), 11);
  EXPECT_DOUBLE_EQ(j.at("totals").at("portrait_ms").at("p99").as_number(), 12);
  EXPECT_EQ(j.at("portraits").as_array().at(0).at("photo").as_string(), "dir/\"odd\"\tname.jpg");
  EXPECT_EQ(j.at("portraits").as_array().at(2).at("error").as_string(), "landmarks: bad \\ file\n");
}

TEST(Progress, DurationFormat) {
  EXPECT_EQ(Progress::format_duration(42.4), "42 s");
  EXPECT_EQ(Progress::format_duration(185), "3 min 05 s");
  EXPECT_EQ(Progress::format_duration(3720), "1 h 02 min");
  EXPECT_EQ(Progress::format_duration(-1), "?");
}

}  // namespace
}  // namespace p3d::app
