// Fuzz targets of the binary parsers behind the readers: each FuzzOne takes
// arbitrary bytes, runs one parser on them and checks the invariants of a
// successful parse (CHECK-fails, i.e. crashes, on a violation, so a fuzzer
// reports it). The returned status is the parser's: OK for valid input, an
// error for invalid input.
//
// Drivers: fuzz_test.cc runs each over a few thousand mutations of valid
// files (plain g++, under `bazel test`); <name>_fuzzer.cc files define
// LLVMFuzzerTestOneInput, linked into //tests/data:<name>_libfuzzer
// (clang-14 libFuzzer + ASan + UBSan, built and run by scripts/fuzz.sh on
// the seed corpus in corpus/<name>) and, with standalone_main.cc, into
// //tests/data:<name>_fuzzer (g++), which replays files such as crash inputs.
#ifndef KD_TESTS_DATA_FUZZ_FUZZ_TARGETS_H_
#define KD_TESTS_DATA_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace kd {

namespace fuzz_cifar {
// Byte 0 selects the variant (even: CIFAR-10, 1 label byte; odd: CIFAR-100,
// coarse + fine); the rest is a batch file.
absl::Status FuzzOne(const uint8_t* data, size_t size);
}  // namespace fuzz_cifar

namespace fuzz_stl {
// Byte 0 selects the file (even: *_X.bin images, odd: *_y.bin labels).
absl::Status FuzzOne(const uint8_t* data, size_t size);
}  // namespace fuzz_stl

namespace fuzz_idx {
// An IDX images file (gzipped or plain, as the reader accepts) followed by a
// labels file: bytes 0-3 are the big-endian length of the first (images).
absl::Status FuzzOne(const uint8_t* data, size_t size);
}  // namespace fuzz_idx

namespace fuzz_jpeg {
// A JPEG file, through the decoder the image readers use (with a small
// pixel limit so that a mutated header cannot allocate much).
absl::Status FuzzOne(const uint8_t* data, size_t size);
}  // namespace fuzz_jpeg

namespace fuzz_png {
// A PNG file, through the decoder image_folder uses (libpng).
absl::Status FuzzOne(const uint8_t* data, size_t size);
}  // namespace fuzz_png

}  // namespace kd

#endif  // KD_TESTS_DATA_FUZZ_FUZZ_TARGETS_H_
