// ImageCache: hits return the inserted pixels, the byte bound holds with
// least-recently-used eviction, also under concurrent use.
#include "kd/data/image_cache.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using testing_data::PatternImage;

TEST(ImageCacheTest, HitsReturnTheInsertedImage) {
  ImageCache cache(1 << 20);
  EXPECT_EQ(cache.Find(3), nullptr);
  const Image image = PatternImage(5, 7, 3, 11);
  cache.Insert(3, image);
  auto hit = cache.Find(3);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->height, 5);
  EXPECT_EQ(hit->width, 7);
  EXPECT_EQ(hit->channels, 3);
  EXPECT_EQ(hit->pixels, image.pixels);
  EXPECT_EQ(cache.Find(4), nullptr);
  EXPECT_EQ(cache.bytes(), 5 * 7 * 3);
  // Inserting a key again keeps the first copy.
  cache.Insert(3, PatternImage(5, 7, 3, 12));
  EXPECT_EQ(cache.Find(3)->pixels, image.pixels);
  EXPECT_EQ(cache.count(), 1);
}

TEST(ImageCacheTest, EvictsLeastRecentlyUsedWithinTheBound) {
  const int64_t each = 10 * 10 * 3;  // 300 bytes
  ImageCache cache(3 * each + 50);   // room for 3
  for (int k = 0; k < 3; ++k) cache.Insert(k, PatternImage(10, 10, 3, k));
  EXPECT_EQ(cache.count(), 3);
  ASSERT_NE(cache.Find(0), nullptr);  // 0 is now the most recent; 1 the least
  cache.Insert(3, PatternImage(10, 10, 3, 3));
  EXPECT_EQ(cache.count(), 3);
  EXPECT_EQ(cache.bytes(), 3 * each);
  EXPECT_EQ(cache.Find(1), nullptr);
  ASSERT_NE(cache.Find(0), nullptr);
  EXPECT_EQ(cache.Find(0)->pixels, PatternImage(10, 10, 3, 0).pixels);
  ASSERT_NE(cache.Find(2), nullptr);
  ASSERT_NE(cache.Find(3), nullptr);
  // A bigger image evicts as many as it needs.
  cache.Insert(9, PatternImage(20, 10, 3, 9));  // 600 bytes: evicts 0 and 2
  EXPECT_EQ(cache.Find(0), nullptr);
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
  EXPECT_NE(cache.Find(9), nullptr);
  EXPECT_LE(cache.bytes(), cache.max_bytes());
  // An image over the whole bound is not cached and evicts nothing.
  cache.Insert(10, PatternImage(40, 40, 3, 0));
  EXPECT_EQ(cache.Find(10), nullptr);
  EXPECT_EQ(cache.count(), 2);
}

TEST(ImageCacheTest, ConcurrentUseKeepsTheBoundAndThePixels) {
  ImageCache cache(20 * 8 * 8 * 3);  // 20 of the 64 images fit
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const int key = (round * 7 + t * 13) % 64;
        if (auto hit = cache.Find(key)) {
          if (hit->pixels != PatternImage(8, 8, 3, key).pixels) ++wrong[t];
        } else {
          cache.Insert(key, PatternImage(8, 8, 3, key));
        }
        if (cache.bytes() > cache.max_bytes()) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  EXPECT_EQ(cache.count(), 20);
}

}  // namespace
}  // namespace kd
