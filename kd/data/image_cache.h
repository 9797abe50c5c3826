// ImageCache: a bounded, thread-safe LRU cache of decoded images keyed by
// data-set index, for lazy readers whose Get() decodes a file
// (FileListDataset with cache_mb > 0). The bound counts pixel bytes; when an
// insertion would exceed it, the least recently used images are evicted.
//
//   ImageCache cache(64 << 20);
//   if (std::shared_ptr<const Image> hit = cache.Find(index)) return *hit;
//   cache.Insert(index, decoded);
#ifndef KD_DATA_IMAGE_CACHE_H_
#define KD_DATA_IMAGE_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "kd/data/dataset.h"

namespace kd {

class ImageCache {
 public:
  // Holds at most `max_bytes` pixel bytes (> 0).
  explicit ImageCache(int64_t max_bytes);

  // The image cached under `key` (now the most recently used), or null.
  std::shared_ptr<const Image> Find(int64_t key);
  // Caches a copy of `image` under `key`, evicting the least recently used
  // images to stay within the bound. An image larger than the whole bound
  // is not cached; a key already present is only marked as used.
  void Insert(int64_t key, const Image& image);

  int64_t max_bytes() const { return max_bytes_; }
  int64_t bytes() const;  // pixel bytes held now
  int64_t count() const;  // images held now

 private:
  using Entry = std::pair<int64_t, std::shared_ptr<const Image>>;

  const int64_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first; guarded by mutex_
  std::unordered_map<int64_t, std::list<Entry>::iterator>
      index_;          // guarded by mutex_
  int64_t bytes_ = 0;  // guarded by mutex_
};

}  // namespace kd

#endif  // KD_DATA_IMAGE_CACHE_H_
