#include "kd/data/image_cache.h"

#include "glog/logging.h"

namespace kd {
namespace {

int64_t PixelBytes(const Image& image) {
  return static_cast<int64_t>(image.pixels.size());
}

}  // namespace

ImageCache::ImageCache(int64_t max_bytes) : max_bytes_(max_bytes) {
  CHECK_GT(max_bytes_, 0) << "ImageCache needs a positive bound";
}

std::shared_ptr<const Image> ImageCache::Find(int64_t key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void ImageCache::Insert(int64_t key, const Image& image) {
  const int64_t size = PixelBytes(image);
  if (size > max_bytes_) return;
  // Copy outside the lock: workers decoding other images do not wait on it.
  auto copy = std::make_shared<const Image>(image);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {  // another thread decoded it meanwhile
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (bytes_ + size > max_bytes_) {
    bytes_ -= PixelBytes(*lru_.back().second);
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(key, std::move(copy));
  index_[key] = lru_.begin();
  bytes_ += size;
}

int64_t ImageCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

int64_t ImageCache::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(lru_.size());
}

}  // namespace kd
