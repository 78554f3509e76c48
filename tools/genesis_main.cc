// The `genesis` binary: dispatches `genesis COMMAND ARGS...` to registered commands
// (core/command.h). Every plugin and stage runner is linked in statically.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "glog/logging.h"

namespace {

std::string Usage() {
  std::string usage =
      "Genesis: self-supervised pretraining for medical imaging.\n\n"
      "usage: genesis COMMAND [ARGS...]\n\ncommands:\n";
  for (const genesis::Command* command : genesis::AllCommands()) {
    absl::StrAppend(&usage, "  ", command->name, " ", command->help, "\n");
  }
  absl::StrAppend(&usage,
                  "\nOverrides: `genesis run FILE seed=3 stage[1].pretrain.max_epochs=2` sets "
                  "single fields of the experiment.\nSee README.md for the run-folder layout.");
  return usage;
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  absl::SetProgramUsageMessage(Usage());
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::cerr << Usage() << "\n";
    return 2;
  }
  const genesis::Command* command = genesis::FindCommand(positional[1]);
  if (command == nullptr) {
    std::cerr << "genesis: unknown command '" << positional[1] << "'\n\n" << Usage() << "\n";
    return 2;
  }
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  return command->main(args);
}
