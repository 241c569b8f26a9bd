import XCTest
@testable import FarmwatchCore

final class LatencyPhysicsTests: XCTestCase {
    let newYork = GeoLocation(latitude: 40.7128, longitude: -74.0060)
    let london = GeoLocation(latitude: 51.5074, longitude: -0.1278)
    let seoul = GeoLocation(latitude: 37.5665, longitude: 126.9780)
    let dallas = GeoLocation(latitude: 32.7767, longitude: -96.7970)

    func testNewYorkLondonDistanceAndFloor() {
        // Published great-circle distance New York–London: ~5570 km.
        let d = LatencyPhysics.greatCircleKm(newYork, london)
        XCTAssertEqual(d, 5570, accuracy: 15)
        XCTAssertEqual(LatencyPhysics.floorRTTms(distanceKm: d), 54.1, accuracy: 0.3)
        XCTAssertEqual(LatencyPhysics.greatCircleKm(london, newYork), d, accuracy: 1e-9)
    }

    func testSeoulDallasIsFarBeyondAUSLocalRTT() {
        // ~10,900 km: no answer under ~105 ms can come from Seoul to Dallas.
        let d = LatencyPhysics.greatCircleKm(seoul, dallas)
        XCTAssertEqual(d, 10_900, accuracy: 150)
        XCTAssertGreaterThan(LatencyPhysics.floorRTTms(distanceKm: d), 100)
    }

    func testInverseAndEdges() {
        XCTAssertEqual(LatencyPhysics.greatCircleKm(seoul, seoul), 0, accuracy: 1e-9)
        XCTAssertEqual(LatencyPhysics.maxDistanceKm(rttMs: 10), 1030, accuracy: 1e-9)
        XCTAssertEqual(LatencyPhysics.maxDistanceKm(rttMs: LatencyPhysics.floorRTTms(distanceKm: 1234)), 1234, accuracy: 1e-9)
        // Antipodes: half the circumference, ~20,015 km, and no rounding past asin's domain.
        let a = GeoLocation(latitude: 0, longitude: 0), b = GeoLocation(latitude: 0, longitude: 180)
        XCTAssertEqual(LatencyPhysics.greatCircleKm(a, b), .pi * LatencyPhysics.earthRadiusKm, accuracy: 1e-6)
        XCTAssertEqual(LatencyPhysics.routeStretch.lowerBound, 1.5)
        XCTAssertEqual(LatencyPhysics.routeStretch.upperBound, 2.0)
    }
}
