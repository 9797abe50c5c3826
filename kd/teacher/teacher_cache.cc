#include "kd/teacher/teacher_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kd/base/device.h"
#include "kd/base/files.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

constexpr char kMagic[8] = {'K', 'D', 'T', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t kVersion = 1;
constexpr size_t kPreambleBytes = 16;  // magic, version, header length
constexpr size_t kAlignment = 64;
constexpr uint32_t kMaxHeaderBytes = 1 << 20;

size_t ElementBytes(bool half) { return half ? 2 : 4; }

std::string ErrnoText() { return std::strerror(errno); }

std::string HeaderJson(const TeacherCacheInfo& info, size_t data_offset) {
  nlohmann::json header = {
      {"teacher", info.teacher},
      {"dataset", info.dataset},
      {"dataset_size", info.dataset_size},
      {"augmentation", info.augmentation},
      {"views", info.views},
      {"feature_dim", info.feature_dim},
      {"dtype", info.half_precision ? "float16" : "float32"},
      {"data_offset", data_offset},
  };
  return header.dump();
}

// The data offset for a header of `json_bytes` (the JSON holds the offset
// itself, so iterate until its length is stable).
size_t DataOffset(const TeacherCacheInfo& info) {
  size_t offset = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t header = kPreambleBytes + HeaderJson(info, offset).size();
    offset = (header + kAlignment - 1) / kAlignment * kAlignment;
  }
  return offset;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string FloatList(const std::vector<float>& values) {
  return absl::StrJoin(values, ",");
}

}  // namespace

std::string DescribeAugmentation(const ViewTransform& t) {
  return absl::StrCat(
      "channels=", t.output_channels, " pad_to=", t.pad_to,
      " crop=", t.crop_size, " crop_padding=", t.crop_padding,
      " flip=", t.horizontal_flip ? 1 : 0, " resize=", t.resize_to,
      t.resize_mode == ResizeMode::kBicubic ? "/bicubic" : "/bilinear",
      " normalize=", FloatList(t.normalization.mean), "/",
      FloatList(t.normalization.std));
}

absl::StatusOr<TeacherCacheInfo> BuildTeacherCache(
    Teacher& teacher, DataLoader& loader, int views,
    const TeacherCacheBuildOptions& options, const std::string& path) {
  TeacherCacheInfo info;
  info.teacher = teacher.Describe();
  info.dataset = options.dataset;
  info.dataset_size = loader.dataset().size();
  info.augmentation = options.augmentation;
  info.views = views;
  info.feature_dim = teacher.feature_dim();
  info.half_precision = options.half_precision;
  if (views < 1 || info.dataset_size < 1 || info.feature_dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "teacher cache ", path, ": need views >= 1, a non-empty data set and ",
        "a teacher with D >= 1; got views ", views, ", ", info.dataset_size,
        " examples, D ", info.feature_dim));
  }
  const int64_t n = info.dataset_size, m = views, d = info.feature_dim;
  const size_t element = ElementBytes(info.half_precision);
  const size_t data_offset = DataOffset(info);
  const std::string header = HeaderJson(info, data_offset);

  KD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path));
  std::vector<char> preamble(data_offset, 0);
  std::memcpy(preamble.data(), kMagic, 8);
  const uint32_t version = kVersion;
  const uint32_t header_bytes = static_cast<uint32_t>(header.size());
  std::memcpy(preamble.data() + 8, &version, 4);
  std::memcpy(preamble.data() + 12, &header_bytes, 4);
  std::memcpy(preamble.data() + kPreambleBytes, header.data(), header.size());
  KD_RETURN_IF_ERROR(file.WriteAt(0, preamble.data(), preamble.size()));
  KD_RETURN_IF_ERROR(
      file.Resize(static_cast<off_t>(data_offset + n * m * d * element)));

  // Frozen for the whole build: eval mode, no gradients.
  std::shared_ptr<Backbone> backbone = teacher.backbone();
  const bool was_training = backbone && backbone->is_training();
  if (backbone) backbone->eval();
  torch::NoGradGuard no_grad;
  std::vector<bool> written(static_cast<size_t>(n * m), false);
  absl::Status status;
  for (int64_t view = 0; view < m && status.ok(); ++view) {
    loader.StartEpoch(view);
    int64_t covered = 0;
    while (status.ok()) {
      absl::StatusOr<std::optional<Batch>> next = loader.Next();
      if (!next.ok()) {
        status =
            WithPrefix(absl::StrCat("teacher cache ", path,
                                    ": loader failed in view ", view, ": "),
                       next.status());
        break;
      }
      if (!next->has_value()) break;
      const Batch& batch = **next;
      TeacherInputs inputs{
          batch.teacher_images.defined() ? batch.teacher_images : batch.images,
          batch.indices.to(torch::kLong).contiguous()};
      absl::StatusOr<BackboneOutput> out = teacher.Forward(inputs);
      if (!out.ok()) {
        status = out.status();
        break;
      }
      const int64_t b = inputs.indices.numel();
      if (!out->pooled.defined() || out->pooled.dim() != 2 ||
          out->pooled.size(0) != b || out->pooled.size(1) != d) {
        status = absl::InternalError(absl::StrCat(
            "teacher cache ", path, ": teacher ", info.teacher,
            " returned features of another shape than [", b, ", ", d, "]"));
        break;
      }
      const torch::Tensor rows =
          out->pooled
              .to(torch::kCPU,
                  info.half_precision ? torch::kHalf : torch::kFloat)
              .contiguous();
      const int64_t* index = inputs.indices.data_ptr<int64_t>();
      for (int64_t i = 0; i < b && status.ok(); ++i) {
        if (index[i] < 0 || index[i] >= n) {
          status = absl::OutOfRangeError(
              absl::StrCat("teacher cache ", path, ": loader gave index ",
                           index[i], " outside [0, ", n, ")"));
          break;
        }
        const size_t slot = static_cast<size_t>(index[i] * m + view);
        if (written[slot]) {
          status = absl::InvalidArgumentError(
              absl::StrCat("teacher cache ", path, ": the loader gave example ",
                           index[i], " twice in view ", view));
          break;
        }
        written[slot] = true;
        ++covered;
        status = file.WriteAt(
            static_cast<off_t>(data_offset + slot * d * element),
            static_cast<const char*>(rows.data_ptr()) + i * d * element,
            d * element);
      }
    }
    if (status.ok() && covered != n) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "teacher cache ", path, ": the loader visited ", covered, " of ", n,
          " examples in view ", view,
          " (a cache needs every example: no drop_last, no sharding)"));
    }
  }
  if (backbone) backbone->train(was_training);
  KD_RETURN_IF_ERROR(status);
  KD_RETURN_IF_ERROR(file.Commit());
  return info;
}

CachedTeacher::~CachedTeacher() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

absl::StatusOr<std::unique_ptr<CachedTeacher>> CachedTeacher::Open(
    const std::string& path, const TeacherCacheExpectation& expected,
    uint64_t seed) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("teacher cache: cannot open ", path, ": ", ErrnoText()));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot stat ", path));
  }
  const size_t file_bytes = static_cast<size_t>(st.st_size);
  auto damaged = [&](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a valid teacher cache: ", what));
  };
  char preamble[kPreambleBytes];
  if (file_bytes < kPreambleBytes ||
      ::pread(fd, preamble, kPreambleBytes, 0) !=
          static_cast<ssize_t>(kPreambleBytes) ||
      std::memcmp(preamble, kMagic, 8) != 0) {
    ::close(fd);
    return damaged("no KDTCACHE magic at its start");
  }
  uint32_t version, header_bytes;
  std::memcpy(&version, preamble + 8, 4);
  std::memcpy(&header_bytes, preamble + 12, 4);
  if (version != kVersion) {
    ::close(fd);
    return damaged(absl::StrCat("version ", version, ", expected ", kVersion));
  }
  if (header_bytes > kMaxHeaderBytes ||
      kPreambleBytes + header_bytes > file_bytes) {
    ::close(fd);
    return damaged(
        absl::StrCat("header length ", header_bytes, " does not fit the file"));
  }
  std::string header(header_bytes, '\0');
  if (::pread(fd, header.data(), header_bytes, kPreambleBytes) !=
      static_cast<ssize_t>(header_bytes)) {
    ::close(fd);
    return damaged("cannot read the header");
  }
  std::unique_ptr<CachedTeacher> cache(new CachedTeacher());
  cache->path_ = path;
  cache->seed_ = seed;
  TeacherCacheInfo& info = cache->info_;
  size_t data_offset = 0;
  try {
    const nlohmann::json json = nlohmann::json::parse(header);
    info.teacher = json.at("teacher").get<std::string>();
    info.dataset = json.at("dataset").get<std::string>();
    info.dataset_size = json.at("dataset_size").get<int64_t>();
    info.augmentation = json.at("augmentation").get<std::string>();
    info.views = json.at("views").get<int64_t>();
    info.feature_dim = json.at("feature_dim").get<int64_t>();
    const std::string dtype = json.at("dtype").get<std::string>();
    if (dtype != "float32" && dtype != "float16") {
      ::close(fd);
      return damaged(absl::StrCat("unknown dtype '", dtype, "'"));
    }
    info.half_precision = dtype == "float16";
    data_offset = json.at("data_offset").get<size_t>();
  } catch (const std::exception& e) {
    ::close(fd);
    return damaged(absl::StrCat("bad header: ", e.what()));
  }
  if (info.dataset_size < 1 || info.views < 1 || info.feature_dim < 1) {
    ::close(fd);
    return damaged("empty dimensions in the header");
  }
  const size_t expected_bytes =
      data_offset +
      static_cast<size_t>(info.dataset_size * info.views * info.feature_dim) *
          ElementBytes(info.half_precision);
  if (data_offset < kPreambleBytes + header_bytes ||
      file_bytes != expected_bytes) {
    ::close(fd);
    return damaged(absl::StrCat("the file has ", file_bytes,
                                " bytes, its header describes ", expected_bytes,
                                " (truncated?)"));
  }

  std::vector<std::string> differences;
  auto compare = [&](const char* field, const std::string& found,
                     const std::string& wanted) {
    if (found != wanted) {
      differences.push_back(absl::StrCat(field, ": cache '", found,
                                         "', this run '", wanted, "'"));
    }
  };
  if (!expected.teacher.empty()) {
    compare("teacher", info.teacher, expected.teacher);
  }
  compare("dataset", info.dataset, expected.dataset);
  compare("dataset size", absl::StrCat(info.dataset_size),
          absl::StrCat(expected.dataset_size));
  compare("augmentation", info.augmentation, expected.augmentation);
  if (!differences.empty()) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "teacher cache ", path,
        " was built for another setting: ", absl::StrJoin(differences, "; ")));
  }

  void* mapping = ::mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) {
    return absl::InternalError(
        absl::StrCat("cannot map ", path, ": ", ErrnoText()));
  }
  cache->mapping_ = mapping;
  cache->mapping_bytes_ = file_bytes;
  cache->features_ =
      torch::from_blob(static_cast<char*>(mapping) + data_offset,
                       {info.dataset_size, info.views, info.feature_dim},
                       info.half_precision ? torch::kHalf : torch::kFloat);
  return cache;
}

int64_t CachedTeacher::ViewFor(int64_t index) const {
  if (info_.views == 1) return 0;
  const uint64_t h =
      SplitMix64(seed_ ^ SplitMix64(static_cast<uint64_t>(step_) ^
                                    SplitMix64(static_cast<uint64_t>(index))));
  return static_cast<int64_t>(h % static_cast<uint64_t>(info_.views));
}

absl::StatusOr<BackboneOutput> CachedTeacher::Forward(
    const TeacherInputs& inputs) {
  const torch::Tensor& indices = inputs.indices;
  if (!indices.defined() || indices.dim() != 1 || indices.is_floating_point()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "teacher cache ", path_,
        ": needs the batch's data-set indices as a 1-D integer tensor"));
  }
  const torch::Tensor index =
      indices.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t b = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  torch::Tensor views = torch::empty({b}, torch::kLong);
  int64_t* view = views.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    if (idx[i] < 0 || idx[i] >= info_.dataset_size) {
      return absl::OutOfRangeError(
          absl::StrCat("teacher cache ", path_, ": data-set index ", idx[i],
                       " outside [0, ", info_.dataset_size, ")"));
    }
    view[i] = ViewFor(idx[i]);
  }
  ++step_;
  BackboneOutput out;
  // Gathered on the host, then copied to the run's device (from pinned
  // memory on CUDA, without blocking) and widened there.
  out.pooled =
      ToDevice(PinnedFor(features_.index({index, views}), device_), device_)
          .to(torch::kFloat);
  return out;
}

absl::StatusOr<torch::Tensor> CachedTeacher::Feature(int64_t index,
                                                     int64_t view) const {
  if (index < 0 || index >= info_.dataset_size || view < 0 ||
      view >= info_.views) {
    return absl::OutOfRangeError(absl::StrCat(
        "teacher cache ", path_, ": (", index, ", ", view, ") outside [0, ",
        info_.dataset_size, ") x [0, ", info_.views, ")"));
  }
  return features_[index][view].to(torch::kFloat);
}

std::string CachedTeacher::Describe() const {
  return absl::StrCat("cache:", path_, " of ", info_.teacher, " (", info_.views,
                      " views, D=", info_.feature_dim, ")");
}

}  // namespace kd
