import Testing
@testable import TokenLoad
import TokenResults

@Suite("--target-metrics: process_cpu_seconds_total from Prometheus text")
struct TargetMetricsTests {
    func sum(_ text: String) -> Double? { PrometheusText.sum(of: "process_cpu_seconds_total", in: Array(text.utf8)) }

    @Test("the sample is found among comments and other metrics, with or without labels and a timestamp")
    func found() {
        // What prometheus_client (Python) writes: HELP, TYPE, then the sample.
        #expect(sum("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n") == 12.5)
        // Another metric whose name starts with this one's is not it; the timestamp is ignored.
        #expect(sum("process_cpu_seconds_total_created 1.7e9\nprocess_cpu_seconds_total 3 1700000000000\n") == 3)
        // Samples with labels add up (a process per label, as a multi-process exporter writes).
        #expect(sum(#"process_cpu_seconds_total{worker="1"} 1.25"# + "\n" + #"process_cpu_seconds_total{worker="a}\"b"} 0.75"# + "\r\n") == 2)
        #expect(sum("  process_cpu_seconds_total\t4e-1\n") == 0.4)
    }

    @Test("absent or malformed: nil, never a guess", arguments: [
        "", "# TYPE process_cpu_seconds_total counter\n", "process_cpu_seconds 1\n", "process_cpu_seconds_total\n",
        "process_cpu_seconds_total abc\n", "process_cpu_seconds_total -1\n", "process_cpu_seconds_total NaN\n",
        "process_cpu_seconds_total +Inf\n", #"process_cpu_seconds_total{a="1" 5"#, "process_cpu_seconds_total 1e309\n",
        "process_cpu_seconds_total 1\nprocess_cpu_seconds_total x\n",
    ])
    func absent(_ text: String) {
        #expect(sum(text) == nil, "\(text)")
    }

    @Test("--target-metrics URLs: an http(s) URL with a path, no query")
    func urls() throws {
        #expect(TargetMetricsSource.split("http://127.0.0.1:8080/metrics")! == ("http://127.0.0.1:8080", "/metrics"))
        #expect(TargetMetricsSource.split("https://[::1]:9/m")! == ("https://[::1]:9", "/m"))
        #expect(TargetMetricsSource.split("http://h")! == ("http://h", "/"))
        for bad in ["ftp://h/metrics", "http://h/metrics?x=1", "127.0.0.1:8080/metrics", "http:///metrics", "http://u@h/metrics"] {
            #expect(TargetMetricsSource.split(bad) == nil, "\(bad)")
        }
    }
}

@Suite("--driver-cpus and its siblings: taskset's CPU lists")
struct CPUAffinityTests {
    @Test("lists read and written as taskset and /proc write them")
    func lists() {
        #expect(CPUAffinity.parse("0") == [0])
        #expect(CPUAffinity.parse("0-1") == [0, 1])
        #expect(CPUAffinity.parse("1,0,1") == [0, 1])
        #expect(CPUPlacement.list([0, 1, 3, 5, 6, 7]) == "0-1,3,5-7")
        #expect(CPUPlacement.list([2]) == "2")
        for bad in ["", "-1", "1-0", "a", "0,", "0--1", "\(CPUAffinity.configured)", "0-99999", "١"] {
            #expect(CPUAffinity.parse(bad) == nil, "\(bad)")
        }
        #expect(CPUAffinity.allowed("self").flatMap(CPUAffinity.parse) != nil, "this process's own list reads back")
        #expect(CPUAffinity.allowed("2147483000") == nil)
    }
}
