// The one test main of every test executable. main() silences SystemC's banner and hands
// over to sc_elab_and_sim, which calls sc_main; sc_main runs doctest. Tests that simulate
// elaborate and call sc_start themselves, and doctest_discover_tests gives each TEST_CASE its
// own process (SystemC 2.3 elaborates once per process).
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdlib>
#include <doctest/doctest.h>
#include <systemc>

int sc_main(int argc, char* argv[]) {
    doctest::Context ctx(argc, argv);
    return ctx.run();
}

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
