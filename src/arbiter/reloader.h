// The seam between the master and whoever knows where the settings come from
// (main implements it). On HUP the master asks read() for the options the
// settings give now, opens what they need (listeners for a changed bind),
// and only then commit()s. A failure before commit leaves the running server
// as it was: it keeps serving with the previous settings.
// Called from the master's single thread.
#pragma once

#include "core/result.h"

namespace qilin::arbiter {

struct ArbiterOptions;  // arbiter.h

class Reloader {
 public:
  virtual ~Reloader() = default;
  // Reads the settings again, from the same sources and in the same order
  // as at start-up, and converts them. Changes nothing the running server
  // uses. The error is a message ready for the log.
  virtual Result<ArbiterOptions> read() = 0;
  // Makes what the last successful read() found current for the master and
  // for the workers forked from now on (environment, log files, hooks, the
  // application they load). Problems that cannot undo the reload (a log
  // file that will not open) are logged, and the previous choice is kept.
  virtual void commit() = 0;
};

}  // namespace qilin::arbiter
