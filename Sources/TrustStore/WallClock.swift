#if canImport(Glibc)
import Glibc
#endif

/// WallClock reads the system's time (so `faketime` moves it, as it should for `check`).
public enum WallClock {
    /// Seconds since 1970.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
