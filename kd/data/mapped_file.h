// MappedFile: a whole file mapped read-only into memory (POSIX mmap), so a
// reader of fixed-size records (CIFAR, STL-10) can copy out one record at a
// time instead of holding a decoded second copy of the file. Pages are read
// from the page cache when first touched and can be dropped by the kernel at
// any time; an empty file maps to an empty view.
//
//   KD_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file,
//                       MappedFile::Open("data_batch_1.bin"));
//   absl::string_view bytes = file->bytes();  // valid while `file` lives
#ifndef KD_DATA_MAPPED_FILE_H_
#define KD_DATA_MAPPED_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {
namespace data_internal {

class MappedFile {
 public:
  // Maps `path`. NOT_FOUND if it does not exist, FAILED_PRECONDITION if it is
  // not a regular file, UNAVAILABLE if it cannot be opened or mapped; every
  // message names the file.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(
      const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();  // unmaps

  // The file's bytes, read-only; thread-safe.
  absl::string_view bytes() const {
    return absl::string_view(static_cast<const char*>(data_), size_);
  }
  const uint8_t* data() const { return static_cast<const uint8_t*>(data_); }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops this process's resident pages of the mapping (they stay in the
  // page cache and are read again when touched): after a start-up scan of
  // the whole file, the process's RSS is back to what it uses.
  void DropResidentPages() const;

 private:
  MappedFile(std::string path, void* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  const std::string path_;
  void* const data_;  // nullptr for an empty file
  const uint64_t size_;
};

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_MAPPED_FILE_H_
