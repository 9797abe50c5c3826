#include "kd/registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kd/test_shapes.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, PluginsFromAnAlwayslinkLibraryAreRegistered) {
  EXPECT_THAT(Shape::Registry::Global().Names(),
              ElementsAre("rectangle", "square"));
  EXPECT_TRUE(Shape::Registry::Global().Contains("square"));
  EXPECT_FALSE(Shape::Registry::Global().Contains("circle"));
}

TEST(RegistryTest, CreateBySpecPassesOptionsAndContext) {
  auto square =
      Shape::Registry::Global().Create("square:side=3", ShapeContext{});
  ASSERT_TRUE(square.ok()) << square.status();
  EXPECT_DOUBLE_EQ((*square)->Area(), 9.0);

  auto scaled = Shape::Registry::Global().Create("rectangle:width=2,height=5",
                                                 ShapeContext{/*scale=*/2.0});
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_DOUBLE_EQ((*scaled)->Area(), 40.0);

  auto defaults = Shape::Registry::Global().Create("square", ShapeContext{});
  ASSERT_TRUE(defaults.ok());
  EXPECT_DOUBLE_EQ((*defaults)->Area(), 1.0);
}

TEST(RegistryTest, UnknownNameListsKnownNamesAndNearestMatch) {
  auto shape = Shape::Registry::Global().Create("sqare:side=2", ShapeContext{});
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(shape.status().message(),
            "unknown shape 'sqare' (did you mean 'square'?); known shape "
            "names: rectangle, square");
}

TEST(RegistryTest, UnknownNameFarFromAnyGivesNoSuggestion) {
  auto shape = Shape::Registry::Global().Create("hexagon", ShapeContext{});
  EXPECT_EQ(shape.status().message(),
            "unknown shape 'hexagon'; known shape names: rectangle, square");
}

TEST(RegistryTest, OptionErrorsNameThePlugin) {
  EXPECT_THAT(Shape::Registry::Global()
                  .Create("square:size=2", ShapeContext{})
                  .status()
                  .message(),
              HasSubstr("'square' has no option 'size'; valid options: side"));
  EXPECT_THAT(Shape::Registry::Global()
                  .Create("rectangle", ShapeContext{})
                  .status()
                  .message(),
              HasSubstr("'rectangle' needs option 'width'"));
  EXPECT_THAT(Shape::Registry::Global()
                  .Create("square:side=two", ShapeContext{})
                  .status()
                  .message(),
              HasSubstr("'square' option 'side': 'two' is not a valid double"));
}

TEST(RegistryTest, FactoryErrorsPassThrough) {
  EXPECT_THAT(Shape::Registry::Global()
                  .Create("square:side=-1", ShapeContext{})
                  .status()
                  .message(),
              HasSubstr("side must be > 0"));
}

TEST(RegistryTest, HelpListsDocsAndOptions) {
  EXPECT_EQ(Shape::Registry::Global().Help(),
            "  rectangle: a rectangle\n"
            "    width (double, required): width\n"
            "    height (double, default 1): height\n"
            "  square: a square\n"
            "    side (double, default 1): side length\n");
}

TEST(RegistryDeathTest, DuplicateNameStopsTheProcess) {
  EXPECT_DEATH(
      Shape::Registry::Global().Register(
          {"square",
           "another square",
           {},
           [](const Options&,
              const ShapeContext&) -> absl::StatusOr<std::unique_ptr<Shape>> {
             return absl::UnimplementedError("unused");
           }}),
      "two shape plugins are registered as 'square' \\(a square\\)");
}

TEST(NearestNameTest, PicksClosestWithinTypoDistance) {
  const std::vector<std::string> names = {"resnet8x4", "resnet32x4",
                                          "wrn_40_2"};
  EXPECT_EQ(internal::NearestName("resnet8X4", names), "resnet8x4");
  EXPECT_EQ(internal::NearestName("resnet32", names), "resnet32x4");
  EXPECT_EQ(internal::NearestName("vgg13", names), "");
}

}  // namespace
}  // namespace kd
