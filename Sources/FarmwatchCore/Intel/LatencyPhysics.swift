import Foundation

/// How far a round trip can reach: light in optical fibre bounds the distance a given RTT can
/// cover, so a peer that answers faster than its claimed place allows is not there (the
/// constraint-based geolocation idea of Gueye et al., "Constraint-Based Geolocation of
/// Internet Hosts", IMC 2004).
public enum LatencyPhysics {
    /// Signal speed in fibre, one way: c / 1.455 ≈ 206 km per millisecond (0.206 km/µs). Using
    /// the fast end of real fibre (group index 1.44–1.47) keeps the floor a true lower bound.
    public static let fibreKmPerMs = 206.0
    /// Real routes run longer than the great circle between their ends: typically 1.5–2×
    /// (cable paths, peering points, detours), which is why measured RTTs sit well above the floor.
    public static let routeStretch = 1.5...2.0
    /// Mean Earth radius (IUGG), km.
    public static let earthRadiusKm = 6371.0088

    /// Great-circle distance between two points, km (haversine formula, spherical Earth: the
    /// 0.3% error against the ellipsoid is far below what the databases' accuracy radii allow).
    public static func greatCircleKm(_ a: GeoLocation, _ b: GeoLocation) -> Double {
        let radians = Double.pi / 180
        let phi1 = a.latitude * radians, phi2 = b.latitude * radians
        let dPhi = (b.latitude - a.latitude) * radians
        let dLambda = (b.longitude - a.longitude) * radians
        let h = sin(dPhi / 2) * sin(dPhi / 2) + cos(phi1) * cos(phi2) * sin(dLambda / 2) * sin(dLambda / 2)
        return 2 * earthRadiusKm * asin(min(1, sqrt(h)))
    }

    /// The smallest round-trip time physics allows over `distanceKm` of great circle, ms.
    public static func floorRTTms(distanceKm: Double) -> Double {
        2 * distanceKm / fibreKmPerMs
    }

    /// The farthest a peer can be, km, when a round trip took `rttMs` (the inverse of the floor).
    public static func maxDistanceKm(rttMs: Double) -> Double {
        rttMs * fibreKmPerMs / 2
    }
}
