#include "kd/eval/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kd {
namespace {

absl::Status SystemError(absl::string_view what, const std::string& path,
                         int error) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(error)));
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  static std::atomic<int> counter{0};
  const std::string temp =
      absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
  const int fd =
      open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return SystemError("create", path, errno);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t w =
        write(fd, contents.data() + written, contents.size() - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      return SystemError("write", path, error);
    }
    written += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0 && errno != EINVAL) {
    const int error = errno;
    close(fd);
    unlink(temp.c_str());
    return SystemError("sync", path, error);
  }
  if (close(fd) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return SystemError("close", path, error);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return SystemError("rename temporary file onto", path, error);
  }
  return absl::OkStatus();
}

}  // namespace kd
