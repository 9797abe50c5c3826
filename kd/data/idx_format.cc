#include "kd/data/idx_format.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kd {
namespace data_internal {

absl::StatusOr<IdxArray> ParseIdx(absl::string_view bytes, int expected_rank,
                                  absl::string_view name) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint32_t expected_magic = 0x00000800u | expected_rank;
  if (bytes.size() < 4) {
    return absl::DataLossError(
        absl::StrCat("'", name, "' has ", bytes.size(),
                     " bytes, too short for an IDX header (expected magic ",
                     absl::StrFormat("0x%08x", expected_magic), ")"));
  }
  const uint32_t magic = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                         (uint32_t{p[2]} << 8) | p[3];
  if (magic != expected_magic) {
    return absl::DataLossError(absl::StrFormat(
        "'%s' has IDX magic number 0x%08x, expected 0x%08x (unsigned bytes, "
        "%d dimension(s))",
        name, magic, expected_magic, expected_rank));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_rank);
  if (bytes.size() < header) {
    return absl::DataLossError(
        absl::StrCat("'", name, "' has ", bytes.size(),
                     " bytes, expected an IDX header of ", header, " bytes"));
  }
  IdxArray array;
  uint64_t total = 1;
  for (int d = 0; d < expected_rank; ++d) {
    const uint8_t* q = p + 4 + 4 * d;
    const uint32_t dim = (uint32_t{q[0]} << 24) | (uint32_t{q[1]} << 16) |
                         (uint32_t{q[2]} << 8) | q[3];
    array.dims.push_back(dim);
    // Checked before multiplying, so that the product cannot wrap around.
    constexpr uint64_t kMaxElements = uint64_t{1} << 40;
    if (dim != 0 && total > kMaxElements / dim) {
      return absl::DataLossError(absl::StrCat(
          "'", name, "': IDX dimensions are implausibly large (dimension ", d,
          " is ", dim, ")"));
    }
    total *= dim;
  }
  const uint64_t payload = bytes.size() - header;
  if (payload != total) {
    std::string shape;
    for (int64_t d : array.dims)
      absl::StrAppend(&shape, shape.empty() ? "" : " x ", d);
    return absl::DataLossError(absl::StrCat(
        "'", name, "': IDX header declares ", shape, " = ", total,
        " bytes of data, found ", payload,
        payload < total ? " (truncated file)" : " (trailing bytes)"));
  }
  array.data = bytes.substr(header);
  return array;
}

}  // namespace data_internal
}  // namespace kd
