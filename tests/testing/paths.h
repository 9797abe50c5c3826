// Paths in tests: the test's scratch directory (Bazel's TEST_TMPDIR, else
// /tmp) and files in its runfiles.
#ifndef KD_TESTS_TESTING_PATHS_H_
#define KD_TESTS_TESTING_PATHS_H_

#include <string>

namespace kd {
namespace testing {

// The scratch directory.
std::string TestTempDir();
// `name` in the scratch directory; nothing is created or removed.
std::string TestTempPath(const std::string& name);
// The same, with whatever was there removed first (recursively).
std::string FreshTestTempPath(const std::string& name);
// The runfiles path of `path`, a path from the workspace root
// ("tests/teacher/testdata/tiny_teacher.pt").
std::string RunfilePath(const std::string& path);

}  // namespace testing
}  // namespace kd

#endif  // KD_TESTS_TESTING_PATHS_H_
