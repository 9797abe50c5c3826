// Files as the library writes them: existence checks, directory creation,
// and writes that a reader never sees half done (a temporary file next to
// the target, flushed, then renamed over it: atomic on POSIX). Torch-free.
//
//   KD_RETURN_IF_ERROR(MakeDirectories(out_dir));
//   KD_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/summary.json", text));
//
//   // Streamed, or at offsets:
//   KD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path));
//   KD_RETURN_IF_ERROR(file.WriteAt(0, header.data(), header.size()));
//   KD_RETURN_IF_ERROR(file.Commit());  // nothing at `path` before this
#ifndef KD_BASE_FILES_H_
#define KD_BASE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {

// True if something (file, directory, ...) exists at `path`.
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
bool IsRegularFile(const std::string& path);

// Creates `path` and its missing parents (like mkdir -p). An error names the
// first directory that could not be created.
absl::Status MakeDirectories(const std::string& path);

// A file being written under a temporary name in the target's directory.
// Commit() flushes it to disk and renames it over the target; a file that is
// destroyed uncommitted is removed, so the target is either untouched or
// complete. Movable, not copyable.
class AtomicFile {
 public:
  // Opens a fresh temporary file for `path`. Errors name `path` and the
  // system error (missing directory, permission).
  static absl::StatusOr<AtomicFile> Create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Appends `size` bytes.
  absl::Status Append(const void* data, size_t size);
  absl::Status Append(absl::string_view bytes) {
    return Append(bytes.data(), bytes.size());
  }
  // Writes `size` bytes at `offset` (the file grows as needed).
  absl::Status WriteAt(off_t offset, const void* data, size_t size);
  // Sets the file's length (e.g. to reserve space written later by WriteAt).
  absl::Status Resize(off_t bytes);
  // fsync, close, rename over the target. After an error nothing is left.
  absl::Status Commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  AtomicFile(std::string path, std::string temp, int fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}
  void Discard();

  std::string path_, temp_;
  int fd_ = -1;
  off_t end_ = 0;  // where Append writes next
};

// Writes `contents` to `path` atomically.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

// For libraries that write to a path of their own (torch::save, pickles):
// `write` writes the temporary file named by its argument; on success that
// file is renamed over `path`, on failure (an error, or an exception, whose
// message is returned) it is removed.
absl::Status WriteFileAtomically(
    const std::string& path,
    const std::function<absl::Status(const std::string& temp_path)>& write);

}  // namespace kd

#endif  // KD_BASE_FILES_H_
