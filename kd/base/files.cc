#include "kd/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "absl/strings/str_cat.h"

namespace kd {
namespace {

absl::Status SystemError(absl::string_view what, const std::string& path,
                         int error) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(error)));
}

// A name no other writer of `path` (thread or process) uses at the same time.
std::string TempName(const std::string& path) {
  static std::atomic<int> counter{0};
  return absl::StrCat(path, ".tmp.", ::getpid(), ".", counter.fetch_add(1));
}

}  // namespace

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

absl::Status MakeDirectories(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && !IsDirectory(partial) &&
          ::mkdir(partial.c_str(), 0755) != 0 && !IsDirectory(partial)) {
        return SystemError("create directory", partial, errno);
      }
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
  return absl::OkStatus();
}

absl::StatusOr<AtomicFile> AtomicFile::Create(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  std::string temp = TempName(path);
  const int fd =
      ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return SystemError("create", path, errno);
  return AtomicFile(path, std::move(temp), fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(other.fd_),
      end_(other.end_) {
  other.fd_ = -1;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_ = std::move(other.temp_);
    fd_ = other.fd_;
    end_ = other.end_;
    other.fd_ = -1;
  }
  return *this;
}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_.c_str());
  fd_ = -1;
}

absl::Status AtomicFile::WriteAt(off_t offset, const void* data, size_t size) {
  if (fd_ < 0) return absl::FailedPreconditionError("file already closed");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError("write", path_, errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Append(const void* data, size_t size) {
  const absl::Status written = WriteAt(end_, data, size);
  if (written.ok()) end_ += static_cast<off_t>(size);
  return written;
}

absl::Status AtomicFile::Resize(off_t bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError("file already closed");
  if (::ftruncate(fd_, bytes) != 0) return SystemError("size", path_, errno);
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError("file already closed");
  if (::fsync(fd_) != 0 && errno != EINVAL) {
    const int error = errno;
    Discard();
    return SystemError("sync", path_, error);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp_.c_str());
    return SystemError("close", path_, error);
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp_.c_str());
    return SystemError("rename temporary file onto", path_, error);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  if (absl::Status s = file->Append(contents); !s.ok()) return s;
  return file->Commit();
}

absl::Status WriteFileAtomically(
    const std::string& path,
    const std::function<absl::Status(const std::string& temp_path)>& write) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  const std::string temp = TempName(path);
  absl::Status status;
  try {
    status = write(temp);
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  if (!status.ok()) {
    std::remove(temp.c_str());
    return absl::Status(status.code(), absl::StrCat("cannot write '", path,
                                                    "': ", status.message()));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    return SystemError("rename temporary file onto", path, error);
  }
  return absl::OkStatus();
}

}  // namespace kd
