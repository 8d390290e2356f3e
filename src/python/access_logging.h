// The bridge between a finished WSGI exchange and the access log: fills a
// log::AccessRecord from the parsed request, the response writer and (only
// for %({key}e)s atoms) the environ, then writes the line. Call with the GIL
// held (environ is read); the write itself releases it.
#pragma once

#include <cstdint>

#include "log/access_log.h"
#include "python/py_ref.h"
#include "worker/app.h"

namespace qilin::python {

void log_access(const log::AccessLog& access_log, const worker::Exchange& exchange,
                PyObject* environ, int64_t duration_us);

}  // namespace qilin::python
