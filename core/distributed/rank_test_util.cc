#include "core/distributed/rank_test_util.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace genesis {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

RankProcess SpawnRank(const RankOptions& options) {
  // Everything the child needs is built before fork(): between fork and exec a child of a
  // threaded process may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    // The children must not touch this test's XML report or premature-exit marker.
    const std::string var = *e;
    if (var.rfind("XML_OUTPUT_FILE=", 0) == 0 || var.rfind("TEST_PREMATURE_EXIT_FILE=", 0) == 0 ||
        var.rfind("GTEST_OUTPUT=", 0) == 0 || var.rfind("RANK=", 0) == 0 ||
        var.rfind("WORLD_SIZE=", 0) == 0 || var.rfind("MASTER_", 0) == 0) {
      continue;
    }
    env_strings.push_back(var);
  }
  env_strings.push_back(absl::StrCat("RANK=", options.rank));
  env_strings.push_back(absl::StrCat("WORLD_SIZE=", options.world_size));
  env_strings.push_back("MASTER_ADDR=127.0.0.1");
  env_strings.push_back(absl::StrCat("MASTER_PORT=", options.port));
  for (const std::string& extra : options.env) env_strings.push_back(extra);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string self = "/proc/self/exe";
  std::string filter = "--gtest_filter=" + options.gtest_filter;
  std::vector<char*> argv = {self.data(), filter.data(), nullptr};

  int pipe_fds[2] = {-1, -1};
  if (options.forbid_file_writes && pipe(pipe_fds) != 0) return RankProcess();
  RankProcess process;
  process.pid = fork();
  if (process.pid == 0) {
    if (options.forbid_file_writes) {
      dup2(pipe_fds[1], STDERR_FILENO);
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      signal(SIGXFSZ, SIG_IGN);  // Kept across exec: writes fail with EFBIG instead.
      rlimit none = {0, 0};
      setrlimit(RLIMIT_FSIZE, &none);
    }
    execve(self.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  if (options.forbid_file_writes) {
    close(pipe_fds[1]);
    const int fd = pipe_fds[0];
    process.buffer = std::make_shared<std::string>();
    // Drained while the child runs: a full pipe would block it (and its peers with it).
    process.drain = std::make_unique<std::thread>([fd, output = process.buffer] {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) output->append(buffer, n);
      close(fd);
    });
  }
  return process;
}

int WaitRank(RankProcess& process) {
  if (process.pid < 0) return -1;
  int status = 0;
  waitpid(process.pid, &status, 0);
  if (process.drain != nullptr) {
    process.drain->join();
    process.drain.reset();
    process.output = *process.buffer;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace genesis
