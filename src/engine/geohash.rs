//! Redis's geohash arithmetic: the 52-bit interleaved scores GEOADD stores,
//! their decoding to cell centres, the neighbour boxes a radius or box
//! search walks, and the haversine distance.
//!
//! Every step follows Redis 7.0's floating-point operations in the same
//! order, because clients see the results bit for bit: the stored scores,
//! the decoded coordinates printed with 17 decimals, and which members sit
//! just inside or outside a search area.

use std::f64::consts::PI;

/// 26 steps of longitude and latitude: a 52-bit score.
pub const STEP_MAX: u8 = 26;
/// Latitude limits of the Web Mercator projection (EPSG:3857).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
/// The earth's quadratic mean radius Redis uses (WGS-84).
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = PI / 180.0;

#[inline]
fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

#[inline]
fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A geohash of `step` bits per coordinate. All-zero means "no box" (a
/// neighbour the search dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    #[inline]
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    #[inline]
    fn is_zero(&self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// A geohash cell and its bounds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    pub hash: HashBits,
    pub lon: Range,
    pub lat: Range,
}

/// The ranges Redis indexes (latitude limited to the Mercator band).
pub const WGS84_LON: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Spreads the low 32 bits of `x` to even positions and of `y` to odd ones.
fn interleave64(x: u32, y: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    for k in (0..5).rev() {
        x = (x | (x << S[k])) & B[k];
        y = (y | (y << S[k])) & B[k];
    }
    x | (y << 1)
}

/// The inverse of [`interleave64`]: even bits in the low word, odd bits in
/// the high word.
fn deinterleave64(v: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (v, v >> 1);
    for k in 0..6 {
        x = (x | (x >> S[k])) & B[k];
        y = (y | (y >> S[k])) & B[k];
    }
    x | (y << 32)
}

/// Encodes a point at `step` bits per coordinate within the given ranges;
/// `None` outside the indexable area.
pub fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step > 32 || step == 0 || lat_r.is_zero() || lon_r.is_zero() {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(HashBits {
        bits: interleave64(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// The cell a hash names.
pub fn decode(lon_r: Range, lat_r: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() || lat_r.is_zero() || lon_r.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    let ilat = sep as u32;
    let ilon = (sep >> 32) as u32;
    // `1 << step` as C computes it for a u64 (steps above 63 do not occur).
    let div = (1u64 << (hash.step & 63)) as f64;
    Some(Area {
        hash,
        lat: Range {
            min: lat_r.min + (f64::from(ilat) * 1.0 / div) * lat_scale,
            max: lat_r.min + ((f64::from(ilat) + 1.0) * 1.0 / div) * lat_scale,
        },
        lon: Range {
            min: lon_r.min + (f64::from(ilon) * 1.0 / div) * lon_scale,
            max: lon_r.min + ((f64::from(ilon) + 1.0) * 1.0 / div) * lon_scale,
        },
    })
}

/// The centre of a cell, clamped to the indexable area: `[lon, lat]`.
pub fn area_center(area: &Area) -> [f64; 2] {
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// A sorted-set score as C's `(uint64_t)` cast of a double computes it on
/// x86-64 (out-of-range values give the "integer indefinite" patterns).
pub fn score_to_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    const INDEFINITE: u64 = 1 << 63;
    // cvttsd2si: truncation, or the indefinite value when it does not fit.
    let cvt = |x: f64| -> u64 {
        if x.is_nan() || !(-TWO63..TWO63).contains(&x) {
            INDEFINITE
        } else {
            x as i64 as u64
        }
    };
    if score >= TWO63 {
        cvt(score - TWO63) ^ INDEFINITE
    } else {
        cvt(score)
    }
}

/// Decodes a stored score to the centre of its 52-bit cell: `[lon, lat]`.
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let hash = HashBits {
        bits: score_to_bits(score),
        step: STEP_MAX,
    };
    decode(WGS84_LON, WGS84_LAT, hash).map(|a| area_center(&a))
}

/// Left-aligns a hash to 52 bits (a sorted-set score).
#[inline]
pub fn align52(hash: HashBits) -> u64 {
    let shift = 52u32.wrapping_sub(u32::from(hash.step) * 2);
    hash.bits.wrapping_shl(shift)
}

/// The score GEOADD stores for a (validated) point.
pub fn encode_score(lon: f64, lat: f64) -> u64 {
    encode(WGS84_LON, WGS84_LAT, lon, lat, STEP_MAX).map_or(0, align52)
}

/// The 11-character standard geohash of a stored score (GEOHASH): decoded,
/// then re-encoded over the full -90..90 latitude range.
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score)?;
    let lon_r = Range {
        min: -180.0,
        max: 180.0,
    };
    let lat_r = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(lon_r, lat_r, lon, lat, 26).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let shift = 64 - u32::from(hash.step) * 2;
    let zz = 0x5555555555555555u64.wrapping_shr(shift);
    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }
    x &= 0xaaaaaaaaaaaaaaaau64.wrapping_shr(shift);
    hash.bits = x | y;
}

fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let shift = 64 - u32::from(hash.step) * 2;
    let zz = 0xaaaaaaaaaaaaaaaau64.wrapping_shr(shift);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= 0x5555555555555555u64.wrapping_shr(shift);
    hash.bits = x | y;
}

/// The eight cells around a hash (wrapping at the edges of the grid).
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbors {
    pub north: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub south: HashBits,
    pub north_east: HashBits,
    pub south_east: HashBits,
    pub north_west: HashBits,
    pub south_west: HashBits,
}

pub fn neighbors(hash: HashBits) -> Neighbors {
    let moved = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbors {
        east: moved(1, 0),
        west: moved(-1, 0),
        south: moved(0, -1),
        north: moved(0, 1),
        north_west: moved(-1, 1),
        north_east: moved(1, 1),
        south_east: moved(1, -1),
        south_west: moved(-1, -1),
    }
}

/// The step whose cells are about as large as the search radius.
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge towards the poles: use larger cells there.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers: a circle or an axis-aligned box around a centre.
#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    /// The radius, in the shape's unit.
    Circle { radius: f64 },
    /// Width and height, in the shape's unit.
    Box { width: f64, height: f64 },
}

#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub kind: ShapeKind,
    /// The centre: `[lon, lat]`.
    pub xy: [f64; 2],
    /// Meters per unit.
    pub conversion: f64,
}

impl Shape {
    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn bounding_box(&self) -> [f64; 4] {
        let [lon, lat] = self.xy;
        let (h, w) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * h;
        let width = self.conversion * w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat - lat_delta).cos());
        // The box's wide edge is the one nearer the equator.
        let delta = if lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [lon - delta, lat - lat_delta, lon + delta, lat + lat_delta]
    }

    /// The search radius in meters used to size the cells (a box uses its
    /// half diagonal).
    fn radius_meters(&self) -> f64 {
        let r = match self.kind {
            ShapeKind::Circle { radius } => radius,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// If the point `xy` is inside, its distance from the centre in meters.
    pub fn contains(&self, xy: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.xy;
        let [x2, y2] = xy;
        match self.kind {
            ShapeKind::Circle { radius } => {
                // Redis rejects with `>`, so a NaN distance is let in.
                let d = distance(x1, y1, x2, y2);
                (d.partial_cmp(&(radius * self.conversion)) != Some(std::cmp::Ordering::Greater))
                    .then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                if lat_distance(y2, y1) > h / 2.0 {
                    return None;
                }
                if distance(x2, y2, x1, y2) > w / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }
}

/// The centre cell and its neighbours that together cover a search, the
/// ones that cannot contain results zeroed.
pub struct SearchAreas {
    pub hash: HashBits,
    pub neighbors: Neighbors,
}

impl SearchAreas {
    /// The nine boxes in the order Redis scans them.
    pub fn boxes(&self) -> [HashBits; 9] {
        let n = &self.neighbors;
        [
            self.hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ]
    }
}

/// Redis's `geohashCalculateAreasByShapeWGS84`.
pub fn areas_for_shape(shape: &Shape) -> SearchAreas {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let [lon, lat] = shape.xy;
    let mut steps = estimate_steps_by_radius(shape.radius_meters(), lat);
    let at = |steps: u8| {
        let hash = encode(WGS84_LON, WGS84_LAT, lon, lat, steps).unwrap_or(HashBits {
            bits: 0,
            step: steps,
        });
        let area = decode(WGS84_LON, WGS84_LAT, hash).unwrap_or_default();
        (hash, neighbors(hash), area)
    };
    let (mut hash, mut nb, mut area) = at(steps);
    // Near a cell edge the estimated step can leave part of the search
    // outside the nine cells: then use cells twice as large.
    let cell = |h: HashBits| decode(WGS84_LON, WGS84_LAT, h).unwrap_or_default();
    let decrease = cell(nb.north).lat.max < max_lat
        || cell(nb.south).lat.min > min_lat
        || cell(nb.east).lon.max < max_lon
        || cell(nb.west).lon.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        (hash, nb, area) = at(steps);
    }
    if steps >= 2 {
        let zero = HashBits::default();
        if area.lat.min < min_lat {
            nb.south = zero;
            nb.south_west = zero;
            nb.south_east = zero;
        }
        if area.lat.max > max_lat {
            nb.north = zero;
            nb.north_east = zero;
            nb.north_west = zero;
        }
        if area.lon.min < min_lon {
            nb.west = zero;
            nb.south_west = zero;
            nb.north_west = zero;
        }
        if area.lon.max > max_lon {
            nb.east = zero;
            nb.south_east = zero;
            nb.north_east = zero;
        }
    }
    SearchAreas {
        hash,
        neighbors: nb,
    }
}

/// The score range `[min, max)` holding every point of a cell.
pub fn score_range_of(hash: HashBits) -> (u64, u64) {
    let min = align52(hash);
    let max = align52(HashBits {
        bits: hash.bits.wrapping_add(1),
        step: hash.step,
    });
    (min, max)
}

/// Distance along a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Great-circle (haversine) distance in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// A distance as Redis prints it: rounded (half to even) to 4 decimals.
pub fn format_distance(d: f64) -> String {
    let scaled = d * 10000.0;
    // llrint: out-of-range and NaN give LLONG_MIN on x86-64.
    let v: i64 =
        if scaled.is_nan() || !(-9.223372036854776e18..9.223372036854776e18).contains(&scaled) {
            i64::MIN
        } else {
            scaled.round_ties_even() as i64
        };
    if d == 0.0 {
        return "0.0000".to_string();
    }
    let mag = v.unsigned_abs();
    let digits = mag.to_string();
    let (int, frac) = if digits.len() > 4 {
        digits.split_at(digits.len() - 4)
    } else {
        ("0", digits.as_str())
    };
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac:0>4}")
}

/// A coordinate as Redis prints it in RESP2 (`%.17Lf`, trailing zeros and
/// a bare point removed, `-0` shown as `0`).
pub fn format_coord(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x.is_nan() {
        return "nan".to_string();
    }
    let mut s = format!("{x:.17}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0xdead_beef, 0x1234_5678),
            (u32::MAX, 7),
        ] {
            let v = deinterleave64(interleave64(x, y));
            assert_eq!((v as u32, (v >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_match_redis() {
        // Values checked against redis-server 7.0 (GEOADD + ZSCORE).
        assert_eq!(encode_score(13.361389, 38.115556), 3479099956230698);
        assert_eq!(encode_score(15.087269, 37.502669), 3479447370796909);
        let [lon, lat] = decode_score(3479099956230698.0).unwrap();
        assert_eq!(format_coord(lon), "13.36138933897018433");
        assert_eq!(format_coord(lat), "38.11555639549629859");
        assert_eq!(&geohash_string(3479099956230698.0).unwrap(), b"sqc8b49rny0");
    }

    #[test]
    fn distances_match_redis() {
        let a = decode_score(3479099956230698.0).unwrap();
        let b = decode_score(3479447370796909.0).unwrap();
        assert_eq!(
            format_distance(distance(a[0], a[1], b[0], b[1])),
            "166274.1516"
        );
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(0.00004), "0.0000");
        assert_eq!(format_distance(0.7775), "0.7775");
        assert_eq!(format_distance(12.5), "12.5000");
    }

    #[test]
    fn odd_scores_cast_like_c() {
        assert_eq!(score_to_bits(-5.0), (-5i64) as u64);
        assert_eq!(score_to_bits(f64::INFINITY), 0);
        assert_eq!(score_to_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_to_bits(1.5e19), 15_000_000_000_000_000_000);
    }
}
