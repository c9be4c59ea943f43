import Foundation
import TokenResults

/// A line chart as inline SVG (no script, no external resource), followed by its numbers as a
/// text table. Non-finite points are dropped, series without points are left out, and a chart
/// with no series at all renders nothing, so the output never holds `NaN`, `Infinity` or an
/// empty path.
package struct SVGChart {
    /// How an axis maps values.
    package enum Scale {
        case linear
        /// Powers of ten (values must be > 0; others are dropped).
        case log
        /// Percentiles on the 1/(1 − p) axis of HdrHistogram plots: 0 %, 90 %, 99 %, 99.9 %,
        /// 99.99 % evenly spaced; 100 (the maximum) one step past 99.99 %.
        case percentileTail
    }

    package struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var dashed = false
        /// Dots at the points (short series: capacity steps, sweep levels).
        var markers = false
    }

    /// A labelled line across the plot at a value of one axis (an SLO, an answer).
    package struct Rule {
        var label: String
        var value: Double
    }

    package var id: String
    package var title: String
    /// With its unit, e.g. `second of the run (s)`, `latency (ms)`.
    package var xLabel: String
    package var yLabel: String
    package var xScale: Scale = .linear
    package var yScale: Scale = .linear
    /// Values are divided by this on the y axis' labels only (e.g. 1000 to show µs as ms);
    /// points and rules are in the data's unit.
    package var yDivisor: Double = 1
    package var series: [Series]
    package var horizontalRules: [Rule] = []
    package var verticalRules: [Rule] = []
    /// The table under the chart: its header and rows.
    package var table: (header: [String], rows: [[String]])

    package static let width = 880.0, height = 300.0
    package static let left = 72.0, right = 16.0, top = 34.0, bottom = 46.0
    package static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart's `<figure>`, or an empty string when there is nothing to draw.
    package func html() -> String {
        let drawn = series.map { s in
            Series(name: s.name, points: s.points.filter { usable($0.x, xScale) && usable($0.y, yScale) },
                   dashed: s.dashed, markers: s.markers)
        }.filter { !$0.points.isEmpty }
        guard !drawn.isEmpty else { return "" }
        let hRules = horizontalRules.filter { usable($0.value, yScale) }
        let vRules = verticalRules.filter { usable($0.value, xScale) }
        let xs = drawn.flatMap { $0.points.map { map($0.x, xScale) } } + vRules.map { map($0.value, xScale) }
        let ys = drawn.flatMap { $0.points.map { map($0.y, yScale) } } + hRules.map { map($0.value, yScale) }
        let (x0, x1) = domain(xs, xScale, zeroBased: false)
        let (y0, y1) = domain(ys, yScale, zeroBased: true)
        let plotW = Self.width - Self.left - Self.right, plotH = Self.height - Self.top - Self.bottom
        func px(_ v: Double) -> Double { Self.left + (map(v, xScale) - x0) / (x1 - x0) * plotW }
        func py(_ v: Double) -> Double { Self.top + plotH - (map(v, yScale) - y0) / (y1 - y0) * plotH }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"\(esc(id))\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" role=\"img\" aria-label=\"\(esc(title))\">"
        svg += "<title>\(esc(title))</title>"
        svg += "<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"#fff\" stroke=\"#999\"/>"
        // Grid and ticks.
        for (value, label) in ticks(x0, x1, xScale, divisor: 1) {
            let x = Self.left + (value - x0) / (x1 - x0) * plotW
            svg += "<line class=\"grid\" x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + plotH))\" stroke=\"#e6e6e6\"/>"
            svg += "<text class=\"tick x\" x=\"\(f(x))\" y=\"\(f(Self.top + plotH + 16))\" text-anchor=\"middle\">\(esc(label))</text>"
        }
        for (value, label) in ticks(y0, y1, yScale, divisor: yDivisor) {
            let y = Self.top + plotH - (value - y0) / (y1 - y0) * plotH
            svg += "<line class=\"grid\" x1=\"\(f(Self.left))\" y1=\"\(f(y))\" x2=\"\(f(Self.left + plotW))\" y2=\"\(f(y))\" stroke=\"#e6e6e6\"/>"
            svg += "<text class=\"tick y\" x=\"\(f(Self.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(esc(label))</text>"
        }
        svg += "<text class=\"axis-label x\" x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(Self.height - 8))\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        svg += "<text class=\"axis-label y\" x=\"14\" y=\"\(f(Self.top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(Self.top + plotH / 2)))\">\(esc(yLabel))</text>"
        // Rules.
        for rule in hRules {
            let y = py(rule.value)
            svg += "<line class=\"rule h\" data-rule=\"\(esc(rule.label))\" x1=\"\(f(Self.left))\" y1=\"\(f(y))\" x2=\"\(f(Self.left + plotW))\" y2=\"\(f(y))\" stroke=\"#000\" stroke-dasharray=\"6 3\"/>"
            svg += "<text class=\"rule-label\" x=\"\(f(Self.left + plotW - 4))\" y=\"\(f(y - 4))\" text-anchor=\"end\">\(esc(rule.label))</text>"
        }
        for rule in vRules {
            let x = px(rule.value)
            svg += "<line class=\"rule v\" data-rule=\"\(esc(rule.label))\" x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + plotH))\" stroke=\"#000\" stroke-dasharray=\"2 3\"/>"
            svg += "<text class=\"rule-label\" x=\"\(f(x + 4))\" y=\"\(f(Self.top + 12))\">\(esc(rule.label))</text>"
        }
        // Series.
        for (i, s) in drawn.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            var d = ""
            for (j, p) in s.points.enumerated() { d += (j == 0 ? "M" : " L") + "\(f(px(p.x))),\(f(py(p.y)))" }
            let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
            svg += "<path class=\"series\" data-series=\"\(esc(s.name))\" data-points=\"\(s.points.count)\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dash)/>"
            if s.markers || s.points.count == 1 {
                for p in s.points { svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>" }
            }
        }
        // Legend, along the top.
        var lx = Self.left
        for (i, s) in drawn.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            svg += "<g class=\"legend\"><rect x=\"\(f(lx))\" y=\"12\" width=\"14\" height=\"4\" fill=\"\(color)\"/><text x=\"\(f(lx + 18))\" y=\"18\">\(esc(s.name))</text></g>"
            lx += 28 + Double(s.name.count) * 6.5
        }
        svg += "</svg>"
        var html = "<figure class=\"chart-figure\" id=\"\(esc(id))\"><figcaption>\(esc(title))</figcaption>\(svg)"
        html += "<details><summary>numbers</summary>\(HTMLReport.table(table.header, table.rows))</details></figure>\n"
        return html
    }

    private func usable(_ v: Double, _ scale: Scale) -> Bool {
        guard v.isFinite else { return false }
        switch scale {
        case .linear: return true
        case .log: return v > 0
        case .percentileTail: return v >= 0 && v <= 100
        }
    }

    /// The value on the axis' own linear coordinate.
    private func map(_ v: Double, _ scale: Scale) -> Double {
        switch scale {
        case .linear: v
        case .log: Foundation.log10(v)
        case .percentileTail: v >= 99.999 ? 5 : -Foundation.log10(1 - v / 100)
        }
    }

    private func domain(_ values: [Double], _ scale: Scale, zeroBased: Bool) -> (Double, Double) {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        switch scale {
        case .linear:
            if zeroBased { lo = Swift.min(0, lo) }
            if hi <= lo { hi = lo + 1 }
            hi += (hi - lo) * 0.05
        case .log:
            lo = lo.rounded(.down)
            hi = hi.rounded(.up)
            if hi <= lo { hi = lo + 1 }
        case .percentileTail:
            lo = 0
            hi = 5
        }
        return (lo, hi)
    }

    /// Tick positions (in the axis' linear coordinate) and labels.
    private func ticks(_ lo: Double, _ hi: Double, _ scale: Scale, divisor: Double) -> [(Double, String)] {
        switch scale {
        case .percentileTail:
            return [(0, "0%"), (1, "90%"), (2, "99%"), (3, "99.9%"), (4, "99.99%"), (5, "max")]
        case .log:
            return stride(from: lo, through: hi, by: 1).map { ($0, Self.label(Foundation.pow(10, $0) / divisor)) }
        case .linear:
            let span = hi - lo
            let raw = span / 5
            let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            var out: [(Double, String)] = []
            var v = (lo / step).rounded(.up) * step
            while v <= hi + step * 1e-9 {
                out.append((v, Self.label(v / divisor)))
                v += step
            }
            return out
        }
    }

    /// `0.5`, `12`, `1.5k`, `2M`.
    package static func label(_ v: Double) -> String {
        let a = Swift.abs(v)
        if a >= 1_000_000 { return trim(v / 1_000_000) + "M" }
        if a >= 10_000 { return trim(v / 1000) + "k" }
        return trim(v)
    }

    private static func trim(_ v: Double) -> String {
        // Past 10^15 a whole Double is printed in exponent form: `Int(v)` traps past Int.max,
        // which a crafted result.json reached through a log axis (found by the `result` fuzz target).
        if Swift.abs(v) >= 1e15 { return String(format: "%.3g", v) }
        if v == v.rounded() { return String(Int(v)) }
        let s = String(format: Swift.abs(v) >= 10 ? "%.1f" : Swift.abs(v) >= 1 ? "%.2f" : "%.3f", v)
        var t = s
        while t.contains("."), t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func esc(_ s: String) -> String { HTMLReport.escape(s) }
}
