// The herdtools7 reader: layouts it accepts, what each instruction becomes, and the errors
// that name file:line (no SystemC kernel: pure text).
#include <doctest/doctest.h>

#include <string>

#include "litmus/herd.h"
#include "model/config.h"

using mtsim::config_error;
using mtsim::litmus::herd_to_yaml;

namespace {

const char* const sb = R"(X86 SB
"Fre PodWR Fre PodWR"
{ x=0; y=0; }
 P0          | P1          ;
 MOV [x],$1  | MOV [y],$1  ;
 MOV EAX,[y] | MOV EAX,[x] ;
exists (0:EAX=0 /\ 1:EAX=0)
)";

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The line an error names, or 0 when the text is accepted.
unsigned error_line(const std::string& text, std::string* message = nullptr) {
    try {
        herd_to_yaml(text, "t.litmus");
    } catch (const config_error& e) {
        if (message) *message = e.what();
        return e.line();
    }
    return 0;
}

} // namespace

TEST_CASE("SB in herd's X86 syntax becomes two vCPU programs with registers and a condition") {
    const std::string y = herd_to_yaml(sb, "sb.litmus");
    CHECK(has(y, "name: 'SB'"));
    CHECK(has(y, "{name: x, gpa: 0x100000, size: 4KiB, pat: WB}"));
    CHECK(has(y, "{name: y, gpa: 0x101000, size: 4KiB, pat: WB}"));
    CHECK(has(y, "  vcpu0:\n    - {store: {buffer: x, len: 4, value: 1}, line: 5}\n"
                 "    - {load: {buffer: y, len: 4, reg: EAX}, line: 6}\n"));
    CHECK(has(y, "  vcpu1:\n    - {store: {buffer: y, len: 4, value: 1}, line: 5}\n"));
    CHECK(has(y, "locations: {x: 4, y: 4}"));
    CHECK(has(y, R"('exists': '0:EAX=0 /\ 1:EAX=0')"));
    CHECK(has(y, "pcpus: 2"));
}

TEST_CASE("Comments and info lines are skipped and Expect and Types are read") {
    const std::string y = herd_to_yaml(R"(X86 T (* a comment *)
Cycle=Fre PodWR
Expect=Forbid
Types=x:WC y:UC
(* a comment
   over lines *)
{x=0;
 y=0;}
 P0          | P1          ;
 MOV [x],$1  | MOV [y],$1  ;
 MFENCE      | MFENCE      ;
 MOV EAX,[y] | MOV EBX,[x] ;
~exists (0:EAX=0 /\ 1:EBX=0)
)",
                                       "t.litmus");
    CHECK(has(y, "pat: WC"));
    CHECK(has(y, "pat: UC"));
    CHECK(has(y, "expect: forbid"));
    CHECK(has(y, "{mfence: null, line: 11}"));
    CHECK(has(y, R"('~exists': '0:EAX=0 /\ 1:EBX=0')"));
}

TEST_CASE("Locked instructions take their operand from a register's known value") {
    const std::string y = herd_to_yaml(R"(X86 L
{ x=0; 0:EAX=5; }
 P0              | P1               ;
 XCHG [x],EAX    | LOCK ADD [x],$2  ;
 MOV EBX,$7      | LOCK INC [x]     ;
 LOCK XADD [x],EBX | MOV ECX,$3     ;
                 | XCHG ECX,[x]     ;
exists (0:EAX=0 /\ x=14)
)",
                                       "t.litmus");
    CHECK(has(y, "{xchg: {buffer: x, len: 4, value: 5, reg: EAX}, line: 4}"));
    CHECK(has(y, "{lock_add: {buffer: x, len: 4, value: 2}, line: 4}"));
    CHECK(has(y, "{lock_add: {buffer: x, len: 4, value: 1}, line: 5}"));
    CHECK(has(y, "{lock_add: {buffer: x, len: 4, value: 7, reg: EBX}, line: 6}"));
    CHECK(has(y, "{xchg: {buffer: x, len: 4, value: 3, reg: ECX}, line: 7}"));
}

TEST_CASE("X86_64 tests in AT&T syntax use the 64-bit register names") {
    const std::string y = herd_to_yaml(R"(X86_64 SB
{ x=0; y=0; }
 P0            | P1            ;
 movl $1,(x)   | movq $1,(y)   ;
 mfence        | mfence        ;
 movl (y),%eax | movq (x),%rax ;
exists (0:rax=0 /\ 1:rax=0)
)",
                                       "t.litmus");
    CHECK(has(y, "{store: {buffer: x, len: 4, value: 1}, line: 4}"));
    CHECK(has(y, "{store: {buffer: y, len: 8, value: 1}, line: 4}"));
    CHECK(has(y, "{load: {buffer: y, len: 4, reg: rax}, line: 6}"));
    CHECK(has(y, "{load: {buffer: x, len: 8, reg: rax}, line: 6}"));
    CHECK(has(y, "locations: {x: 8, y: 8}"));
}

TEST_CASE("The device column becomes the GPU's program and the doorbell the driver's") {
    const std::string y = herd_to_yaml(R"(X86 MP+dev
Types=flag:UC
{ x=0; }
 P0             | GPU               ;
 MOV [x],$1     | WAIT-DOORBELL     ;
 CLFLUSHOPT [x] | DMA-RD-NS EAX,[x] ;
 SFENCE         | DMA-WR [y],$2     ;
 DOORBELL       | IRQ               ;
 WAIT-IRQ       |                   ;
 MOV EBX,[y]    |                   ;
exists (GPU:EAX=0 \/ 0:EBX=0)
)",
                                       "t.litmus");
    CHECK(has(y, "devices:\n  gpu: {mode: vfio, no_snoop: true, kvm_vfio: true, ring: gpu_ring}"));
    CHECK(has(y, "iommu: {ecap_sc: false}"));
    CHECK(has(y, "  vcpu0:\n    - {read_status: null, line: 4}\n"
                 "    - {write_descriptors: null, line: 4}\n"));
    CHECK(has(y, "{clflushopt: {buffer: x, len: 1}, line: 6}"));
    CHECK(has(y, "{doorbell: null, line: 8}"));
    CHECK(has(y, "{wait: irq1, line: 9}"));
    CHECK(has(y, "  gpu:\n    - {wait_doorbell: null, line: 5}\n"
                 "    - {read: {buffer: x, len: 4, reg: EAX, no_snoop: true}, line: 6}\n"
                 "    - {write: {buffer: y, len: 4, value: 2, no_snoop: false}, line: 7}\n"
                 "    - {interrupt: irq1, line: 8}\n"));
    CHECK(has(y, R"('gpu:EAX=0 \/ 0:EBX=0')"));
    CHECK(has(y, "{name: gpu_ring, gpa: 0x103000"));
}

TEST_CASE("Malformed tests are refused naming the line") {
    struct row {
        const char* text;
        unsigned line;
        const char* says;
    };
    const row rows[] = {
        {"ARM SB\n{}\n P0 ;\n NOP ;\nexists (x=0)\n", 1, "architecture 'ARM'"},
        {"X86 SB\n{ x=0; }\n P0 ;\n FOO [x] ;\nexists (x=0)\n", 4,
         "unsupported instruction 'FOO [x]'"},
        {"X86 SB\n{ x=0; }\n P0 | P1 ;\n MOV [x],$1 ;\nexists (x=0)\n", 4, "1 cells"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV [x],$1\nexists (x=0)\n", 4, "ends with ';'"},
        {"X86 SB\n{ x=1; }\n P0 ;\n MOV [x],$1 ;\nexists (x=0)\n", 2, "starts zeroed"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV EAX,[x] ;\n MOV [y],EAX ;\nexists (x=0)\n", 5,
         "data dependency"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\nexists (0:EAX=0)\n", 5, "no load of P0"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\nexists (z=0)\n", 5, "not a location"},
        {"X86 SB\n{ x=0; }\n P0 ;\n ADD [x],$1 ;\nexists (x=0)\n", 4, "without LOCK"},
        {"X86 SB\n{ x=0; }\n P0 ;\nL0: MOV [x],$1 ;\nexists (x=0)\n", 4, "labels"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\n", 4, "no final condition"},
        {"X86 SB\n{ x=0; \n P0 ;\n", 3, "'P0': expected A=V"},
        {"X86 SB\n{ x=0; \n", 2, "never closed"},
        {"X86 SB\n{ x=0; }\n P0 | GPU ;\n MOV [x],$1 | DMA-RD EAX,[x] ;\nexists (x=0)\n", 4,
         "starts with WAIT-DOORBELL"},
        {"X86 SB\n{ x=0; }\n P0 ;\n DMA-RD EAX,[x] ;\nexists (x=0)\n", 4, "device"},
        {"X86 SB\n{ x=0; }\n P0 ;\n MOV [x+4],$1 ;\nexists (x=0)\n", 4, "only [location]"},
        {"X86 SB\n(* open\n{ x=0; }\n", 2, "never closed"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        std::string msg;
        CHECK(error_line(r.text, &msg) == r.line);
        CHECK(has(msg, r.says));
        CHECK(has(msg, "t.litmus:"));
    }
    CHECK(error_line(sb) == 0);
}
