// Small plugins registered like real ones, for fast trainer tests:
//   dataset  "test_blobs"    N images (option size, default 96) of side
//                            `side` (default 8), `classes` classes (default
//                            4): class c is a bright square in quadrant c%4
//                            with colour c/4, plus seeded noise; the test
//                            split draws other noise.
//   backbone "test_tiny_cnn" conv(3->w)+BN+ReLU, conv stride 2 (w->2w)+BN+
//                            ReLU, global average pool, fc; option width.
//   loss     "test_nan"      total 0 * student_embed.sum(); its part "boom"
//                            is 0 for `after` calls, then NaN.
#ifndef KD_TESTS_TRAIN_TEST_PLUGINS_H_
#define KD_TESTS_TRAIN_TEST_PLUGINS_H_

#include <string>

#include "kd/train/run_config.h"

namespace kd {
namespace testing {
// Referenced by tests so the linker keeps the plugin library.
int TestPluginsLinked();

// A small seeded teacher-mode run on these plugins (test_blobs:size=96,
// test_tiny_cnn at input 8, ce, 4 epochs of batch 16, one thread, no
// progress bar) writing to `out_dir`; tests change what they vary.
RunConfig TinyTeacherRunConfig(const std::string& out_dir);
}  // namespace testing
}  // namespace kd

#endif  // KD_TESTS_TRAIN_TEST_PLUGINS_H_
