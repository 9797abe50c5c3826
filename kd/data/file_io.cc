#include "kd/data/file_io.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kd {
namespace data_internal {
namespace fs = std::filesystem;

bool PathExists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

bool IsDirectory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (a.back() == '/') return absl::StrCat(a, b);
  return absl::StrCat(a, "/", b);
}

absl::StatusOr<uint64_t> FileSize(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(
        absl::StrCat("file '", path, "' does not exist"));
  }
  if (!fs::is_regular_file(path, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is not a regular file"));
  }
  const uint64_t size = fs::file_size(path, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot get the size of '", path, "': ", error.message()));
  }
  return size;
}

absl::StatusOr<std::string> ReadFilePrefix(const std::string& path,
                                           uint64_t max_bytes) {
  absl::StatusOr<uint64_t> size = FileSize(path);
  if (!size.ok()) return size.status();
  const uint64_t to_read = std::min(*size, max_bytes);
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  }
  std::string bytes(to_read, '\0');
  const size_t got =
      to_read == 0 ? 0 : std::fread(bytes.data(), 1, to_read, file.get());
  if (got != to_read) {
    return absl::DataLossError(absl::StrCat("reading '", path, "': expected ",
                                            to_read, " bytes, read ", got));
  }
  return bytes;
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     uint64_t max_bytes) {
  absl::StatusOr<uint64_t> size = FileSize(path);
  if (!size.ok()) return size.status();
  if (*size > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("file '", path, "' has ", *size,
                     " bytes, more than the limit of ", max_bytes));
  }
  return ReadFilePrefix(path, *size);
}

bool LooksGzipped(absl::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> Gunzip(absl::string_view bytes,
                                   absl::string_view name,
                                   uint64_t max_output) {
  if (!LooksGzipped(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is not gzip data (expected magic 1f 8b)"));
  }
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  // 16 + MAX_WBITS: expect a gzip header and trailer (zlib manual,
  // inflateInit2).
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, &inflateEnd);
  std::string out;
  size_t consumed = 0;
  char buffer[1 << 16];
  while (true) {
    // zlib's avail_in is 32-bit: feed at most 1 GiB at a time.
    if (stream.avail_in == 0 && consumed < bytes.size()) {
      const size_t chunk = std::min<size_t>(bytes.size() - consumed, 1u << 30);
      stream.next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + consumed));
      stream.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    const size_t produced = sizeof(buffer) - stream.avail_out;
    if (out.size() + produced > max_output) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "'", name, "' inflates to more than ", max_output, " bytes"));
    }
    out.append(buffer, produced);
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (RFC 1952 allows concatenation).
      const size_t remaining = stream.avail_in + (bytes.size() - consumed);
      if (remaining == 0) break;
      absl::string_view rest = bytes.substr(bytes.size() - remaining);
      if (!LooksGzipped(rest)) {
        return absl::DataLossError(
            absl::StrCat("'", name, "': ", remaining,
                         " bytes of trailing garbage after the gzip stream"));
      }
      inflateReset(&stream);
      continue;
    }
    if (rc == Z_BUF_ERROR && stream.avail_in == 0 && consumed == bytes.size()) {
      return absl::DataLossError(
          absl::StrCat("'", name, "' is a truncated gzip stream (", out.size(),
                       " bytes inflated before the data ended)"));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::DataLossError(
          absl::StrCat("'", name, "' is corrupt gzip data: ",
                       stream.msg != nullptr ? stream.msg : "zlib error",
                       " (code ", rc, ")"));
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadMaybeGzipped(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok() || !LooksGzipped(*bytes)) return bytes;
  return Gunzip(*bytes, path);
}

absl::StatusOr<std::vector<std::string>> ListDirectory(
    const std::string& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    return absl::NotFoundError(
        absl::StrCat("directory '", path, "' does not exist"));
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.') names.push_back(std::move(name));
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list '", path, "': ", error.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, uint64_t{1} << 30);
  if (!text.ok()) return text.status();
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

}  // namespace data_internal
}  // namespace kd
