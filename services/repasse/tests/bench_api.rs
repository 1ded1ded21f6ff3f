//! `repasse bench api` runs end to end on a small history and reports each route beside its floor (the
//! figures themselves are for the closing note and `docs/measurements.md`, never asserted here).

mod common;
use common::json;

#[test]
fn bench_api_sets_each_route_beside_its_floor() {
    let report = json(&[
        "bench",
        "api",
        "--teams",
        "5000",
        "--competencias",
        "4",
        "--requests",
        "2000",
        "--connections",
        "4",
        "--rounds",
        "1",
    ]);
    let routes = report["routes"].as_array().expect("routes");
    let names: Vec<&str> = routes
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["demonstrativos", "explicacoes"]);
    for route in routes {
        assert!(route["distinct_keys"].as_u64().unwrap() > 0, "{route}");
        for side in ["target", "floor"] {
            let figures = &route[side];
            assert!(
                figures["requests_per_second"].as_f64().unwrap() > 0.0,
                "{route}"
            );
            assert!(
                figures["p50_us"].as_u64().unwrap() <= figures["p99_us"].as_u64().unwrap(),
                "{route}"
            );
        }
        assert!(route["meets_target"].is_boolean());
    }
}
