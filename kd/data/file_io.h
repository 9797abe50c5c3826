// File helpers shared by the data set readers: whole-file reads with size
// limits, gzip inflation (zlib), directory listings. Every error names the
// file and says what was expected and what was found.
#ifndef KD_DATA_FILE_IO_H_
#define KD_DATA_FILE_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {
namespace data_internal {

// Default cap on what one file may decode to (16 GiB): a corrupt size field
// or a gzip bomb becomes an error instead of an out-of-memory kill.
inline constexpr uint64_t kMaxFileBytes = uint64_t{16} << 30;

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
std::string JoinPath(absl::string_view a, absl::string_view b);

// Reads a whole file. NOT_FOUND if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     uint64_t max_bytes = kMaxFileBytes);

// Reads up to `max_bytes` bytes from the start of a file (the whole file if
// it is shorter).
absl::StatusOr<std::string> ReadFilePrefix(const std::string& path,
                                           uint64_t max_bytes);

// Size of a file in bytes.
absl::StatusOr<uint64_t> FileSize(const std::string& path);

// True if `bytes` starts with the gzip magic 1f 8b (RFC 1952, section 2.3.1).
bool LooksGzipped(absl::string_view bytes);

// Inflates gzip data (all members, RFC 1952). `name` is used in errors.
// Output larger than `max_output` is RESOURCE_EXHAUSTED.
absl::StatusOr<std::string> Gunzip(absl::string_view bytes,
                                   absl::string_view name,
                                   uint64_t max_output = kMaxFileBytes);

// The bytes of `path`, inflated if they are gzipped.
absl::StatusOr<std::string> ReadMaybeGzipped(const std::string& path);

// Names (not paths) of the entries of a directory, sorted; hidden entries
// (starting with '.') are left out.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& path);

// Non-empty, whitespace-trimmed lines of a text file.
absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path);

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_FILE_IO_H_
