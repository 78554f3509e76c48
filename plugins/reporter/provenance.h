// Where a report's numbers came from, beyond the run folders: the source commit and the
// versions of the libraries Genesis was built against (read from their headers at compile
// time, so no heavy library is loaded to ask).
//
//   for (const auto& [name, version] : LibraryVersions()) ...   // {"OpenCV", "4.6.0"}, ...
//   std::string commit = GitCommit();   // GENESIS_GIT_COMMIT, else `git rev-parse` in the
//                                       // workspace `bazel run` started from, else "unknown"
#ifndef GENESIS_PLUGINS_REPORTER_PROVENANCE_H_
#define GENESIS_PLUGINS_REPORTER_PROVENANCE_H_

#include <string>
#include <utility>
#include <vector>

namespace genesis {

std::vector<std::pair<std::string, std::string>> LibraryVersions();
std::string GitCommit();

}  // namespace genesis

#endif  // GENESIS_PLUGINS_REPORTER_PROVENANCE_H_
