#include "kd/data/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/data/file_io.h"

namespace kd {
namespace data_internal {

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(
    const std::string& path) {
  absl::StatusOr<uint64_t> size = FileSize(path);  // NOT_FOUND, not regular
  if (!size.ok()) return size.status();
  if (*size == 0) {
    return std::unique_ptr<MappedFile>(new MappedFile(path, nullptr, 0));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  }
  void* data = ::mmap(nullptr, *size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (data == MAP_FAILED) {
    return absl::UnavailableError(
        absl::StrCat("cannot map '", path, "' (", *size,
                     " bytes): ", std::strerror(map_errno)));
  }
  return std::unique_ptr<MappedFile>(new MappedFile(path, data, *size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

void MappedFile::DropResidentPages() const {
  if (data_ != nullptr) ::madvise(data_, size_, MADV_DONTNEED);
}

}  // namespace data_internal
}  // namespace kd
