//! Geo commands. A geo index is a sorted set whose scores are 52-bit
//! interleaved geohashes ([`crate::engine::geohash`]); GEOADD is ZADD with
//! computed scores, and the searches scan the score ranges of the nine
//! geohash cells around the centre, as Redis does, so the same members are
//! found near cell edges and results come in the same order.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::traits::CACHEABLE;
use super::zset::{new_value, stored, Limits};
use super::{Command, Ctx, Group};
use crate::engine::geohash::{
    self, HashBits, Shape, ShapeKind, LAT_MAX, LAT_MIN, LON_MAX, LON_MIN,
};
use crate::engine::notify;
use crate::engine::value::SortedSet;
use crate::engine::zset::{ScoreBound, ScoreRange, ZSet};
use crate::engine::{Db, Now};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

#[path = "geo_sort.rs"]
mod sort;

const G: Group = Group::Geo;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("geoadd", -5, WRITE | DENYOOM, G, geoadd).keys(1, 1, 1),
    Command::new("geopos", -2, READONLY, G, geopos)
        .traits(CACHEABLE)
        .reply2("parse_geopos")
        .reply_unified2("geopos_unified")
        .keys(1, 1, 1),
    Command::new("geodist", -4, READONLY, G, geodist)
        .traits(CACHEABLE)
        .reply("FLOAT")
        .keys(1, 1, 1),
    Command::new("geohash", -2, READONLY, G, geohash_cmd)
        .traits(CACHEABLE)
        .reply2("STR_LIST")
        .reply_unified3("STR_LIST")
        .keys(1, 1, 1),
    Command::new("geosearch", -7, READONLY, G, geosearch)
        .traits(CACHEABLE)
        .reply("parse_geosearch_generic")
        .reply_unified2("parse_geosearch_unified")
        .reply_unified3("parse_geosearch_unified")
        .keys(1, 1, 1),
    Command::new("geosearchstore", -8, WRITE | DENYOOM, G, geosearchstore).keys(1, 2, 1),
    Command::new("georadius", -6, WRITE | DENYOOM, G, georadius)
        .reply("parse_geosearch_generic")
        .reply_unified2("parse_geosearch_unified")
        .reply_unified3("parse_geosearch_unified")
        .keys(1, 1, 1)
        .movable(radius_keys),
    Command::new("georadius_ro", -6, READONLY, G, georadius_ro)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM,
        G,
        georadiusbymember,
    )
    .reply("parse_geosearch_generic")
    .reply_unified2("parse_geosearch_unified")
    .reply_unified3("parse_geosearch_unified")
    .keys(1, 1, 1)
    .movable(radius_keys),
    Command::new(
        "georadiusbymember_ro",
        -5,
        READONLY,
        G,
        georadiusbymember_ro,
    )
    .traits(CACHEABLE)
    .keys(1, 1, 1),
];

/// Keys of GEORADIUS / GEORADIUSBYMEMBER: the source, and the last
/// STORE / STOREDIST destination.
fn radius_keys(argv: &[&[u8]]) -> Vec<usize> {
    let mut store = None;
    let mut i = 5;
    while i < argv.len() {
        if (is(argv[i], "store") || is(argv[i], "storedist")) && i + 1 < argv.len() {
            store = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    std::iter::once(1).chain(store).collect()
}

/// The sorted set under `key` without touching the keyspace statistics
/// (for second looks at a key the command already read).
fn peek_zset<'a>(db: &'a mut Db, key: &[u8], now: Now<'_>) -> Option<&'a SortedSet> {
    match db.peek(key, now).map(|e| &e.value) {
        Some(crate::engine::value::Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// A longitude/latitude argument pair, range-checked.
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], Error> {
    let xy = [args::float(lon)?, args::float(lat)?];
    if !(LON_MIN..=LON_MAX).contains(&xy[0]) || !(LAT_MIN..=LAT_MAX).contains(&xy[1]) {
        return Err(Error::msg(format!(
            "ERR invalid longitude,latitude pair {:.6},{:.6}",
            xy[0], xy[1]
        )));
    }
    Ok(xy)
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, Error> {
    match arg {
        u if is(u, "m") => Ok(1.0),
        u if is(u, "km") => Ok(1000.0),
        u if is(u, "ft") => Ok(0.3048),
        u if is(u, "mi") => Ok(1609.34),
        _ => Err(Error::err(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// `radius unit`: the radius and meters per unit.
fn radius_arg(num: &[u8], u: &[u8]) -> Result<(f64, f64), Error> {
    let r = args::float(num).map_err(|_| Error::err("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(Error::err("ERR radius cannot be negative"));
    }
    Ok((r, unit(u)?))
}

/// `width height unit`.
fn box_arg(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), Error> {
    let w = args::float(w).map_err(|_| Error::err("ERR need numeric width"))?;
    let h = args::float(h).map_err(|_| Error::err("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(Error::err("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(u)?))
}

/// A decoded coordinate reply: text in RESP2 (`%.17Lf` trimmed), a double
/// carrying the same value in RESP3.
fn coord_frame(x: f64, resp3: bool) -> Frame {
    let text = geohash::format_coord(x);
    if resp3 {
        Frame::Double(text.parse().unwrap_or(x))
    } else {
        Frame::Bulk(Bytes::from(text))
    }
}

fn distance_frame(d: f64) -> Frame {
    Frame::Bulk(Bytes::from(geohash::format_distance(d)))
}

/// GEOADD key [NX | XX] [CH] longitude latitude member [...]
fn geoadd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while let Some(opt) = argv.get(first) {
        match () {
            _ if is(opt, "nx") => nx = true,
            _ if is(opt, "xx") => xx = true,
            _ if is(opt, "ch") => {}
            _ => break,
        }
        first += 1;
    }
    if (argv.len() - first) % 3 != 0 || (nx && xx) {
        return Err(Error::Syntax);
    }
    let mut scores = Vec::with_capacity((argv.len() - first) / 3);
    for t in argv[first..].chunks_exact(3) {
        let [lon, lat] = lon_lat(t[0], t[1])?;
        scores.push(geohash::encode_score(lon, lat).to_string());
    }
    // Redis rewrites the command as ZADD and runs that.
    let mut zargv: Vec<&[u8]> = Vec::with_capacity(first + scores.len() * 2);
    zargv.push(b"zadd");
    zargv.extend_from_slice(&argv[1..first]);
    for (score, t) in scores.iter().zip(argv[first..].chunks_exact(3)) {
        zargv.push(score.as_bytes());
        zargv.push(t[2]);
    }
    let zadd = super::lookup(b"zadd").ok_or(Error::err("ERR unknown command 'zadd'"))?;
    (zadd.handler)(ctx, &zargv)
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (now, resp3) = (ctx.now, ctx.client.resp3);
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    let out = argv[2..]
        .iter()
        .map(|m| {
            match z
                .and_then(|z| z.zset.score(m))
                .and_then(geohash::decode_score)
            {
                Some([lon, lat]) => {
                    Frame::Array(vec![coord_frame(lon, resp3), coord_frame(lat, resp3)])
                }
                None => Frame::NullArray,
            }
        })
        .collect();
    Ok(Frame::Array(out))
}

/// GEODIST key member1 member2 [M | KM | FT | MI]
fn geodist(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let to_meters = match argv.len() {
        4 => 1.0,
        5 => unit(argv[4])?,
        _ => return Err(Error::Syntax),
    };
    let now = ctx.now;
    let Some(z) = ctx.db().get::<SortedSet>(argv[1], now)? else {
        return Ok(Frame::Null);
    };
    let (Some(s1), Some(s2)) = (z.zset.score(argv[2]), z.zset.score(argv[3])) else {
        return Ok(Frame::Null);
    };
    let (Some(a), Some(b)) = (geohash::decode_score(s1), geohash::decode_score(s2)) else {
        return Ok(Frame::Null);
    };
    let d = geohash::distance(a[0], a[1], b[0], b[1]) / to_meters;
    Ok(distance_frame(d))
}

/// GEOHASH key [member ...]
fn geohash_cmd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    let out = argv[2..]
        .iter()
        .map(|m| {
            z.and_then(|z| z.zset.score(m))
                .and_then(geohash::geohash_string)
                .map_or(Frame::Null, |h| Frame::bulk(&h))
        })
        .collect();
    Ok(Frame::Array(out))
}

/// Which search command is running.
#[derive(Clone, Copy, PartialEq)]
enum Search {
    /// GEORADIUS[_RO]: centre and radius are positional.
    Radius,
    /// GEORADIUSBYMEMBER[_RO].
    ByMember,
    /// GEOSEARCH / GEOSEARCHSTORE: FROM... and BY... options.
    Generic,
}

#[derive(Clone, Copy)]
struct Variant {
    search: Search,
    /// The _RO variants: no STORE / STOREDIST.
    no_store: bool,
    /// GEOSEARCHSTORE.
    store_cmd: bool,
}

/// GEORADIUS key longitude latitude radius M | KM | FT | MI [WITHCOORD]
///   [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key]
///   [STOREDIST key]
fn georadius(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::Radius,
        no_store: false,
        store_cmd: false,
    };
    search_generic(ctx, argv, 1, v)
}

/// GEORADIUS_RO key longitude latitude radius unit [options]
fn georadius_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::Radius,
        no_store: true,
        store_cmd: false,
    };
    search_generic(ctx, argv, 1, v)
}

/// GEORADIUSBYMEMBER key member radius unit [options]
fn georadiusbymember(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::ByMember,
        no_store: false,
        store_cmd: false,
    };
    search_generic(ctx, argv, 1, v)
}

/// GEORADIUSBYMEMBER_RO key member radius unit [options]
fn georadiusbymember_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::ByMember,
        no_store: true,
        store_cmd: false,
    };
    search_generic(ctx, argv, 1, v)
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
///   BYRADIUS radius unit | BYBOX width height unit [ASC | DESC]
///   [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
fn geosearch(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::Generic,
        no_store: false,
        store_cmd: false,
    };
    search_generic(ctx, argv, 1, v)
}

/// GEOSEARCHSTORE destination source FROMMEMBER ... | FROMLONLAT ...
///   BYRADIUS ... | BYBOX ... [ASC | DESC] [COUNT count [ANY]] [STOREDIST]
fn geosearchstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let v = Variant {
        search: Search::Generic,
        no_store: false,
        store_cmd: true,
    };
    search_generic(ctx, argv, 2, v)
}

/// Everything a search command's arguments say.
#[derive(Default)]
struct Query<'a> {
    xy: [f64; 2],
    kind: Option<ShapeKind>,
    conversion: f64,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    from_member: bool,
    from_lonlat: bool,
    /// `Some(true)` descending.
    desc: Option<bool>,
    any: bool,
    count: i64,
    store: Option<&'a [u8]>,
    store_dist: bool,
}

/// Parses a search's arguments in Redis's order, so the same error wins.
/// `exists` says whether the source key holds a sorted set: without one
/// the centre member is not looked up.
fn parse_query<'a>(
    ctx: &mut Ctx,
    argv: &[&'a [u8]],
    src: usize,
    v: Variant,
    exists: bool,
) -> Result<Query<'a>, Error> {
    let mut q = Query::default();
    let now = ctx.now;
    let member_xy = |ctx: &mut Ctx, m: &[u8]| -> Result<[f64; 2], Error> {
        peek_zset(ctx.db(), argv[src], now)
            .and_then(|z| z.zset.score(m))
            .and_then(geohash::decode_score)
            .ok_or(Error::err("ERR could not decode requested zset member"))
    };
    let base = match v.search {
        Search::Radius => {
            q.xy = lon_lat(argv[2], argv[3])?;
            let (r, c) = radius_arg(argv[4], argv[5])?;
            (q.kind, q.conversion) = (Some(ShapeKind::Circle { radius: r }), c);
            6
        }
        Search::ByMember => {
            if exists {
                q.xy = member_xy(ctx, argv[2])?;
                let (r, c) = radius_arg(argv[3], argv[4])?;
                (q.kind, q.conversion) = (Some(ShapeKind::Circle { radius: r }), c);
            }
            5
        }
        Search::Generic if v.store_cmd => {
            q.store = Some(argv[1]);
            3
        }
        Search::Generic => 2,
    };
    let generic = v.search == Search::Generic;
    let mut i = base;
    while i < argv.len() {
        let arg = argv[i];
        let left = argv.len() - i - 1;
        if is(arg, "withdist") {
            q.with_dist = true;
        } else if is(arg, "withhash") {
            q.with_hash = true;
        } else if is(arg, "withcoord") {
            q.with_coord = true;
        } else if is(arg, "any") {
            q.any = true;
        } else if is(arg, "asc") {
            q.desc = Some(false);
        } else if is(arg, "desc") {
            q.desc = Some(true);
        } else if is(arg, "count") && left >= 1 {
            q.count = args::int(argv[i + 1])?;
            if q.count <= 0 {
                return Err(Error::err("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && left >= 1 && !v.no_store && !generic
        {
            q.store = Some(argv[i + 1]);
            q.store_dist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && generic && v.store_cmd {
            q.store_dist = true;
        } else if is(arg, "frommember") && left >= 1 && generic && !q.from_lonlat {
            if exists {
                q.xy = member_xy(ctx, argv[i + 1])?;
            }
            q.from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && generic && !q.from_member {
            q.xy = lon_lat(argv[i + 1], argv[i + 2])?;
            q.from_lonlat = true;
            i += 2;
        } else if is(arg, "byradius")
            && left >= 2
            && generic
            && !matches!(q.kind, Some(ShapeKind::Box { .. }))
        {
            let (r, c) = radius_arg(argv[i + 1], argv[i + 2])?;
            (q.kind, q.conversion) = (Some(ShapeKind::Circle { radius: r }), c);
            i += 2;
        } else if is(arg, "bybox")
            && left >= 3
            && generic
            && !matches!(q.kind, Some(ShapeKind::Circle { .. }))
        {
            let (w, h, c) = box_arg(argv[i + 1], argv[i + 2], argv[i + 3])?;
            let kind = ShapeKind::Box {
                width: w,
                height: h,
            };
            (q.kind, q.conversion) = (Some(kind), c);
            i += 3;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let name = || crate::error::lossy(argv[0], usize::MAX);
    if q.store.is_some() && (q.with_dist || q.with_hash || q.with_coord) {
        let what = if v.store_cmd {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Error::msg(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    if generic && !(q.from_member || q.from_lonlat) {
        return Err(Error::msg(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name()
        )));
    }
    if generic && q.kind.is_none() {
        return Err(Error::msg(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
            name()
        )));
    }
    if q.any && q.count == 0 {
        return Err(Error::err("ERR the ANY argument requires COUNT argument"));
    }
    Ok(q)
}

/// One member found by a search.
struct Point {
    member: Bytes,
    score: f64,
    xy: [f64; 2],
    /// Meters from the centre.
    dist: f64,
}

/// The members of `hash`'s cell inside `shape`, appended to `out`; stops
/// once `out` holds `limit` points (0 = no limit).
fn collect_cell(z: &ZSet, hash: HashBits, shape: &Shape, out: &mut Vec<Point>, limit: usize) {
    let (min, max) = geohash::score_range_of(hash);
    let range = ScoreRange {
        min: ScoreBound {
            value: min as f64,
            exclusive: false,
        },
        max: ScoreBound {
            value: max as f64,
            exclusive: true,
        },
    };
    for (member, score) in z.iter_range_by_score(&range, false) {
        if let Some(xy) = geohash::decode_score(score) {
            if let Some(dist) = shape.contains(xy) {
                out.push(Point {
                    member: member.clone(),
                    score,
                    xy,
                    dist,
                });
            }
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
}

/// Scans the nine cells around the centre in Redis's order, skipping a
/// cell equal to the one scanned just before (huge radii make neighbours
/// coincide).
fn find_points(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = geohash::areas_for_shape(shape).boxes();
    let mut out = Vec::new();
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() || (last != 0 && *cell == cells[last]) {
            continue;
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
        collect_cell(z, *cell, shape, &mut out, limit);
        last = i;
    }
    out
}

fn search_generic(ctx: &mut Ctx, argv: &[&[u8]], src: usize, v: Variant) -> CmdResult {
    let now = ctx.now;
    let exists = ctx.db().get::<SortedSet>(argv[src], now)?.is_some();
    let q = parse_query(ctx, argv, src, v, exists)?;
    let Some(z) = exists
        .then(|| peek_zset(ctx.db(), argv[src], now))
        .flatten()
    else {
        return match q.store {
            Some(dst) => {
                if ctx.db().remove(dst, now).is_some() {
                    ctx.modified(dst, notify::GENERIC, "del");
                }
                Ok(Frame::Integer(0))
            }
            None => Ok(Frame::Array(Vec::new())),
        };
    };
    let Some(kind) = q.kind else {
        return Ok(Frame::Array(Vec::new()));
    };
    let shape = Shape {
        kind,
        xy: q.xy,
        conversion: q.conversion,
    };
    let count = usize::try_from(q.count).unwrap_or(usize::MAX);
    let mut points = find_points(&z.zset, &shape, if q.any { count } else { 0 });
    if points.is_empty() && q.store.is_none() {
        return Ok(Frame::Array(Vec::new()));
    }
    // COUNT without an order returns the nearest ones (not with ANY).
    let desc = match q.desc {
        None if count != 0 && !q.any => Some(false),
        d => d,
    };
    let returned = if count == 0 {
        points.len()
    } else {
        count.min(points.len())
    };
    if let Some(desc) = desc {
        sort::sort_points(&mut points, desc, returned);
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= shape.conversion;
    }
    match q.store {
        None => Ok(reply(&points, &q, ctx.client.resp3)),
        Some(dst) => store(ctx, dst, points, q.store_dist, v.store_cmd),
    }
}

/// The search reply: members, or per member `[member, dist?, hash?, [lon, lat]?]`.
fn reply(points: &[Point], q: &Query, resp3: bool) -> Frame {
    let nested = q.with_dist || q.with_hash || q.with_coord;
    let out = points
        .iter()
        .map(|p| {
            let member = Frame::Bulk(p.member.clone());
            if !nested {
                return member;
            }
            let mut item = vec![member];
            if q.with_dist {
                item.push(distance_frame(p.dist));
            }
            if q.with_hash {
                item.push(Frame::Integer(p.score as i64));
            }
            if q.with_coord {
                item.push(Frame::Array(vec![
                    coord_frame(p.xy[0], resp3),
                    coord_frame(p.xy[1], resp3),
                ]));
            }
            Frame::Array(item)
        })
        .collect();
    Frame::Array(out)
}

/// Stores the results as a sorted set (scores: geohashes, or distances in
/// the query's unit with STOREDIST); an empty result deletes `dst`.
fn store(ctx: &mut Ctx, dst: &[u8], points: Vec<Point>, dist: bool, search: bool) -> CmdResult {
    let now = ctx.now;
    let n = points.len();
    if n == 0 {
        if ctx.db().remove(dst, now).is_some() {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Ok(Frame::Integer(0));
    }
    let lim = Limits::of(ctx);
    let max_member = points.iter().map(|p| p.member.len()).max().unwrap_or(0);
    let listpack = lim.fits(n, max_member);
    let mut z = ZSet::with_capacity(n);
    for p in points {
        let score = if dist { p.dist } else { p.score };
        z.insert(p.member, stored(listpack, score));
    }
    // Expire a stale destination first, so its replacement counts as new.
    ctx.db().contains(dst, now);
    ctx.db().set(dst, new_value(z, listpack));
    let event = if search {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    ctx.modified(dst, notify::ZSET, event);
    ctx.dirty(n as u64 - 1);
    Ok(Frame::Integer(n as i64))
}
