// --spew: every line of Python the worker executes is printed to stdout as
// "module:lineno: source", followed by the values of the names on that line
// (globals and locals), as gunicorn's spew does. For debugging only: it
// slows the worker down by orders of magnitude.
#pragma once

namespace qilin::python {

// Makes the tracer, once per process, before any application thread runs
// (with the GIL held). False with the reason printed by Python.
bool prepare_spew();
// Traces the calling thread from now on, with the GIL held; false with the
// reason printed by Python.
bool start_spew();

}  // namespace qilin::python
