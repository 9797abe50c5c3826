// Every reader is registered when //kd/data:all_datasets is linked, also in
// a statically linked binary (the alwayslink trap), and takes the shared
// subset options.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/dataset.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DatasetRegistryTest, AllReadersAreRegistered) {
  EXPECT_THAT(Dataset::Registry::Global().Names(),
              ElementsAre("cifar10", "cifar100", "fashion_mnist",
                          "image_folder", "mnist", "stl10", "tinyimagenet"));
  const std::string help = Dataset::Registry::Global().Help();
  EXPECT_THAT(help, HasSubstr("limit (int, default 0)"));
  EXPECT_THAT(help, HasSubstr("per_class (int, default 0)"));
  EXPECT_THAT(help, HasSubstr("labels (string, default fine)"));
}

TEST(DatasetRegistryTest, UnknownNamesAndOptions) {
  EXPECT_THAT(Dataset::Registry::Global()
                  .Create("cifar-10", DatasetConfig{})
                  .status()
                  .ToString(),
              HasSubstr("did you mean 'cifar10'?"));
  EXPECT_THAT(Dataset::Registry::Global()
                  .Create("mnist:labels=coarse", DatasetConfig{})
                  .status()
                  .ToString(),
              HasSubstr("'mnist' has no option 'labels'"));
}

}  // namespace
}  // namespace kd
