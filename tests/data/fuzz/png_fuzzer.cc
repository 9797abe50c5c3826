// libFuzzer entry point of the png fuzz target (see fuzz_targets.h).
#include <cstddef>
#include <cstdint>

#include "tests/data/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kd::fuzz_png::FuzzOne(data, size).IgnoreError();
  return 0;
}
