// Parser of the IDX format of (Fashion-)MNIST (no file access, so it can be
// fuzzed).
//
// Layout, from http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT"):
//   magic number: 2 zero bytes, a type byte (0x08 = unsigned byte), and the
//   number of dimensions; then each dimension size as a 32-bit big-endian
//   ("MSB first") integer; then the data, last dimension fastest (C order).
// Image files are 0x00000803 [N, 28, 28], label files 0x00000801 [N].
// Fashion-MNIST uses the same files and names
// (https://github.com/zalandoresearch/fashion-mnist, "Get the Data").
#ifndef KD_DATA_IDX_FORMAT_H_
#define KD_DATA_IDX_FORMAT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {
namespace data_internal {

// An unsigned-byte IDX array; `data` points into the parsed buffer.
struct IdxArray {
  std::vector<int64_t> dims;
  absl::string_view data;
};

// Parses an unsigned-byte IDX array with `expected_rank` dimensions. The data
// must be exactly prod(dims) bytes. `name` is used in errors.
absl::StatusOr<IdxArray> ParseIdx(absl::string_view bytes, int expected_rank,
                                  absl::string_view name);

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_IDX_FORMAT_H_
