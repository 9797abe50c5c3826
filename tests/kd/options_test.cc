#include "kd/options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

OptionSchema EgaLikeSchema() {
  return {
      {"node", OptionType::kDouble, "1.0", "node matching weight"},
      {"edge", OptionType::kDouble, "0.3", "edge matching weight"},
      {"graph", OptionType::kString, "pearson", "graph builder"},
      {"embed_dim", OptionType::kInt, "0", "embedding width"},
      {"detach", OptionType::kBool, "true", "detach teacher"},
  };
}

TEST(ParsePluginSpecTest, NameOnly) {
  auto spec = ParsePluginSpec("  resnet8x4 ");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "resnet8x4");
  EXPECT_TRUE(spec->args.empty());
}

TEST(ParsePluginSpecTest, NameAndArgsInOrder) {
  auto spec = ParsePluginSpec("ega: node=0.8 , edge=0.24");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "ega");
  ASSERT_EQ(spec->args.size(), 2u);
  EXPECT_EQ(spec->args[0],
            std::make_pair(std::string("node"), std::string("0.8")));
  EXPECT_EQ(spec->args[1],
            std::make_pair(std::string("edge"), std::string("0.24")));
}

TEST(ParsePluginSpecTest, Errors) {
  EXPECT_THAT(ParsePluginSpec("").status().message(),
              HasSubstr("no plugin name"));
  EXPECT_THAT(ParsePluginSpec(":a=1").status().message(),
              HasSubstr("no plugin name"));
  EXPECT_THAT(ParsePluginSpec("ega:node").status().message(),
              HasSubstr("'node' is not of the form key=value"));
  EXPECT_THAT(ParsePluginSpec("ega:=3").status().message(),
              HasSubstr("empty option name"));
  EXPECT_THAT(ParsePluginSpec("ega:node=1,node=2").status().message(),
              HasSubstr("option 'node' is given twice"));
}

TEST(PluginSpecTest, TakeRemovesKey) {
  auto spec = ParsePluginSpec("ce:weight=0.1,smoothing=0.1");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->Take("weight"), std::optional<std::string>("0.1"));
  EXPECT_EQ(spec->Take("weight"), std::nullopt);
  ASSERT_EQ(spec->args.size(), 1u);
  EXPECT_EQ(spec->args[0].first, "smoothing");
}

TEST(OptionsTest, DefaultsAndExplicitValues) {
  auto options = Options::Create("ega", EgaLikeSchema(),
                                 {{"node", "0.8"},
                                  {"embed_dim", "128"},
                                  {"detach", "false"},
                                  {"graph", "cosine"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_DOUBLE_EQ(options->GetDouble("node"), 0.8);
  EXPECT_DOUBLE_EQ(options->GetDouble("edge"), 0.3);
  EXPECT_EQ(options->GetInt("embed_dim"), 128);
  EXPECT_FALSE(options->GetBool("detach"));
  EXPECT_EQ(options->GetString("graph"), "cosine");
  EXPECT_TRUE(options->IsSet("node"));
  EXPECT_FALSE(options->IsSet("edge"));
  EXPECT_EQ(options->DebugString(),
            "detach=false,edge=0.3,embed_dim=128,graph=cosine,node=0.8");
}

TEST(OptionsTest, UnknownOptionListsValidOnes) {
  auto options = Options::Create("ega", EgaLikeSchema(), {{"nodes", "1"}});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(options.status().message(),
              HasSubstr("'ega' has no option 'nodes'; valid options: node, "
                        "edge, graph, embed_dim, detach"));
}

TEST(OptionsTest, MalformedValuesNameTheOption) {
  EXPECT_THAT(Options::Create("ega", EgaLikeSchema(), {{"node", "0.8x"}})
                  .status()
                  .message(),
              HasSubstr("'ega' option 'node': '0.8x' is not a valid double"));
  EXPECT_THAT(Options::Create("ega", EgaLikeSchema(), {{"embed_dim", "1.5"}})
                  .status()
                  .message(),
              HasSubstr("'1.5' is not a valid int"));
  EXPECT_THAT(Options::Create("ega", EgaLikeSchema(), {{"detach", "maybe"}})
                  .status()
                  .message(),
              HasSubstr("'maybe' is not a valid bool"));
  EXPECT_THAT(Options::Create("ega", EgaLikeSchema(), {{"node", "nan"}})
                  .status()
                  .message(),
              HasSubstr("not a valid double"));
}

TEST(OptionsTest, MissingRequiredOption) {
  OptionSchema schema = {
      {"path", OptionType::kString, "", "TorchScript file", /*required=*/true}};
  auto options = Options::Create("torchscript", schema, {});
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(
      options.status().message(),
      HasSubstr("'torchscript' needs option 'path' (TorchScript file)"));
}

TEST(OptionsTest, NoOptionsPlugin) {
  auto options = Options::Create("resnet8", {}, {{"width", "2"}});
  EXPECT_THAT(options.status().message(),
              HasSubstr("this plugin takes no options"));
}

TEST(OptionsTest, DescribeOptions) {
  EXPECT_EQ(
      DescribeOptions({{"node", OptionType::kDouble, "1.0", "node weight"}}),
      "    node (double, default 1.0): node weight\n");
}

}  // namespace
}  // namespace kd
