// Teacher feature cache: a frozen teacher's features for M augmented views of
// every training image, computed once (BuildTeacherCache) and looked up by
// data-set index (CachedTeacher), so a distillation run samples a cached view
// instead of running the teacher (most of a step's cost for a CLIP-sized
// teacher on a CPU).
//
// File layout (little-endian):
//   "KDTCACHE" | uint32 version (1) | uint32 header length L |
//   L bytes of JSON header {teacher, dataset, dataset_size, augmentation,
//   views, feature_dim, dtype, data_offset} | zero padding to data_offset
//   (a multiple of 64) | features [dataset_size][views][feature_dim] as
//   float32 or float16.
// The header records which teacher, data set and augmentation made the
// cache; opening it for another one is an error.
#ifndef KD_TEACHER_TEACHER_CACHE_H_
#define KD_TEACHER_TEACHER_CACHE_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kd/data/loader.h"
#include "kd/data/transforms.h"
#include "kd/teacher/teacher.h"

namespace kd {

// What a cache holds and was made from (its header).
struct TeacherCacheInfo {
  std::string teacher;       // Teacher::Describe() of the teacher
  std::string dataset;       // data-set name and split, e.g. "cifar100/train"
  int64_t dataset_size = 0;  // N
  std::string augmentation;  // the teacher view's augmentation
  int64_t views = 0;         // M; view 0 .. M-1 are epochs 0 .. M-1
  int64_t feature_dim = 0;   // D
  bool half_precision = false;  // features stored as float16
};

// One line describing a ViewTransform (crop, padding, flip, resize,
// normalisation), for TeacherCacheInfo::augmentation. Use the same call when
// building and when opening a cache.
std::string DescribeAugmentation(const ViewTransform& transform);

struct TeacherCacheBuildOptions {
  std::string dataset;       // recorded as TeacherCacheInfo::dataset
  std::string augmentation;  // recorded as TeacherCacheInfo::augmentation
  bool half_precision = false;
};

// Runs the frozen `teacher` (eval mode, no gradients) over every example of
// `loader` for `views` epochs (StartEpoch(0) .. StartEpoch(views - 1)); view v
// of example i is the teacher's feature of i's batch entry in epoch v (the
// batch's teacher_images when the loader makes them, else its images). For
// views = 1 give a loader without random augmentation. The loader must visit
// every example exactly once per epoch (no drop_last, no sharding). Writes
// `path` atomically (temporary file + rename). Returns the header written.
absl::StatusOr<TeacherCacheInfo> BuildTeacherCache(
    Teacher& teacher, DataLoader& loader, int views,
    const TeacherCacheBuildOptions& options, const std::string& path);

// What a run expects of the cache it opens. Empty `teacher`: any teacher.
struct TeacherCacheExpectation {
  std::string teacher;
  std::string dataset;
  int64_t dataset_size = 0;
  std::string augmentation;
};

// A Teacher that answers from a cache: `pooled` [B, D] float32 for the batch's
// data-set indices (images are ignored). For each index it uses one of the M
// views, drawn from (seed, step, index) where step counts Forward calls; view
// 0 when M = 1.
class CachedTeacher : public Teacher {
 public:
  // Opens (memory-maps) `path`. A damaged file is DATA_LOSS; a cache of
  // another teacher / data set / size / augmentation is FAILED_PRECONDITION
  // naming each difference.
  static absl::StatusOr<std::unique_ptr<CachedTeacher>> Open(
      const std::string& path, const TeacherCacheExpectation& expected,
      uint64_t seed);
  ~CachedTeacher() override;

  absl::StatusOr<BackboneOutput> Forward(const TeacherInputs& inputs) override;
  int64_t feature_dim() const override { return info_.feature_dim; }
  int64_t input_size() const override { return 0; }
  std::string Describe() const override;
  // Answers from data-set indices alone, for the training split only.
  bool needs_images() const override { return false; }
  bool covers_every_split() const override { return false; }
  // The view draws of an epoch start at its first global step.
  void StartEpoch(int64_t first_step) override { step_ = first_step; }
  // The cache stays in host memory; Forward copies each batch's features to
  // `device`.
  void To(const torch::Device& device) override { device_ = device; }

  const TeacherCacheInfo& info() const { return info_; }
  // The view the next Forward uses for data-set index `index`.
  int64_t ViewFor(int64_t index) const;
  // Forward calls so far; set it when resuming a run to continue its draws.
  int64_t step() const { return step_; }
  void set_step(int64_t step) { step_ = step; }
  // Features of (index, view), float32 [D] (for inspection and tests).
  absl::StatusOr<torch::Tensor> Feature(int64_t index, int64_t view) const;

 private:
  CachedTeacher() = default;

  std::string path_;
  TeacherCacheInfo info_;
  uint64_t seed_ = 0;
  int64_t step_ = 0;
  torch::Device device_{torch::kCPU};
  void* mapping_ = nullptr;
  size_t mapping_bytes_ = 0;
  torch::Tensor features_;  // [N, M, D] view of the mapping
};

}  // namespace kd

#endif  // KD_TEACHER_TEACHER_CACHE_H_
