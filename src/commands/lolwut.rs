//! LOLWUT: Redis 7.0's version line; for `VERSION 5` Georg Nees's
//! "Schotter" (1968) drawn on a braille-dot canvas the way Redis 5 draws
//! it (rows of squares that rotate and drift more the lower they are); for
//! `VERSION 6` Redis 6's random city skyline in ANSI colour blocks.

use super::flags::*;
use super::{args, Command, Ctx, Group};
use crate::error::CmdResult;
use crate::persist::rdbfile::REDIS_VERSION;
use crate::resp::Frame;

pub(crate) const COMMANDS: &[Command] = &[Command::new(
    "lolwut",
    -1,
    READONLY | FAST,
    Group::Server,
    lolwut,
)];

/// LOLWUT [VERSION version [arg ...]] — version 5 takes the console
/// columns and the squares per row and per column, version 6 the columns
/// and rows; the others print the version line.
fn lolwut(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut rest: &[&[u8]] = &[];
    let mut version = 7;
    if argv.len() >= 3 && args::is(argv[1], "version") {
        version = args::int(argv[2])?;
        rest = &argv[3..];
    }
    let text = if version == 5 {
        let mut nums = [66i64, 8, 12];
        for (slot, a) in nums.iter_mut().zip(rest) {
            *slot = args::int(a)?;
        }
        let [cols, per_row, per_col] = nums;
        let canvas = schotter(
            cols.clamp(1, 1000) as usize,
            per_row.clamp(1, 200) as usize,
            per_col.clamp(1, 200) as usize,
        );
        format!(
            "{}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n",
            canvas.render()
        )
    } else if version == 6 {
        let mut nums = [80i64, 20];
        for (slot, a) in nums.iter_mut().zip(rest) {
            *slot = args::int(a)?;
        }
        let [cols, rows] = nums.map(|n| n.clamp(1, 1000));
        format!(
            "{}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n",
            skyline(cols, rows)
        )
    } else {
        format!("Redis ver. {REDIS_VERSION}\n")
    };
    Ok(Frame::Verbatim(*b"txt", text.into()))
}

struct Canvas {
    width: i64,
    height: i64,
    pixels: Vec<bool>,
}

impl Canvas {
    fn set(&mut self, x: i64, y: i64) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = true;
        }
    }

    fn get(&self, x: i64, y: i64) -> bool {
        (0..self.width).contains(&x)
            && (0..self.height).contains(&y)
            && self.pixels[(x + y * self.width) as usize]
    }

    /// Bresenham's line.
    fn line(&mut self, (mut x1, mut y1): (i64, i64), (x2, y2): (i64, i64)) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle`.
    fn square(&mut self, x: i64, y: i64, size: f32, mut angle: f32) {
        // The square inscribed in a circle of radius 1 has side sqrt(2).
        let size = f64::from((f64::from(size) / std::f64::consts::SQRT_2) as f32).round();
        angle = (f64::from(angle) + std::f64::consts::FRAC_PI_4) as f32;
        let mut pts = [(0i64, 0i64); 4];
        for p in &mut pts {
            let a = f64::from(angle);
            *p = (
                (a.sin() * size + x as f64).round() as i64,
                (a.cos() * size + y as f64).round() as i64,
            );
            angle = (a + std::f64::consts::FRAC_PI_2) as f32;
        }
        for j in 0..4 {
            self.line(pts[j], pts[(j + 1) % 4]);
        }
    }

    /// Each 2x4 block of pixels is one braille character.
    fn render(&self) -> String {
        let mut out = String::new();
        let mut y = 0;
        while y < self.height {
            let mut x = 0;
            while x < self.width {
                let dots = [
                    (0, 0),
                    (0, 1),
                    (0, 2),
                    (1, 0),
                    (1, 1),
                    (1, 2),
                    (0, 3),
                    (1, 3),
                ];
                let bits = dots
                    .iter()
                    .enumerate()
                    .filter(|(_, (dx, dy))| self.get(x + dx, y + dy))
                    .fold(0u32, |b, (i, _)| b | 1 << i);
                out.push(char::from_u32(0x2800 + bits).unwrap_or(' '));
                x += 2;
            }
            if y != self.height - 1 {
                out.push('\n');
            }
            y += 4;
        }
        out
    }
}

/// C's `rand()`: a non-negative int.
fn rand() -> i64 {
    i64::from(fastrand::u32(..i32::MAX as u32))
}

/// One building of the skyline: colour 2 and 1 buildings are plain, the
/// colour 0 ones in front have lit windows in the other two colours.
struct Building {
    xoff: i64,
    width: i64,
    height: i64,
    windows: bool,
    color: u8,
}

/// The colour at (x, y); outside the canvas, 0.
fn pixel(px: &[u8], width: i64, height: i64, x: i64, y: i64) -> u8 {
    if (0..width).contains(&x) && (0..height).contains(&y) {
        px[(x + y * width) as usize]
    } else {
        0
    }
}

/// Draws one building standing on the bottom row.
fn building(px: &mut [u8], width: i64, height: i64, b: &Building) {
    let (bottom, top) = (height - 1, height - b.height);
    for y in (top..=bottom).rev() {
        for x in b.xoff..b.xoff + b.width {
            // Rounded roof corners.
            if y == top && (x <= b.xoff + 1 || x >= b.xoff + b.width - 2) {
                continue;
            }
            let mut color = b.color;
            let (relx, rely) = (x - (b.xoff + 1), y - (top + 1));
            let inside =
                x > b.xoff + 1 && x < b.xoff + b.width - 2 && y > top + 1 && y < bottom - 1;
            if b.windows && inside && (relx / 2) % 2 != 0 && rely % 2 != 0 {
                color = loop {
                    let c = (1 + rand() % 2) as u8;
                    if c != b.color {
                        break c;
                    }
                };
                if relx % 2 != 0 {
                    color = pixel(px, width, height, x - 1, y);
                }
            }
            if (0..width).contains(&x) && (0..height).contains(&y) {
                px[(x + y * width) as usize] = color;
            }
        }
    }
}

/// Redis 6's LOLWUT art: three rows of buildings on a white sky, as ANSI
/// colour blocks.
fn skyline(width: i64, height: i64) -> String {
    let mut px = vec![3u8; (width * height) as usize];
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < width {
            offset += rand() % 8;
            let w = 10 + rand() % 9;
            let spread = if color == 2 { 2 } else { 3 };
            let h = height / 2 + (rand() % height) / spread;
            let b = Building {
                xoff: offset,
                width: w,
                height: h,
                windows: false,
                color,
            };
            building(&mut px, width, height, &b);
            offset += if color == 2 { w / 2 } else { w + 1 };
        }
    }
    let mut offset = -10;
    while offset < width {
        offset += rand() % 8;
        let mut w = 5 + rand() % 14;
        if w % 4 != 0 {
            w += w % 3;
        }
        let h = height / 3 + (rand() % height) / 2;
        let b = Building {
            xoff: offset,
            width: w,
            height: h,
            windows: true,
            color: 0,
        };
        building(&mut px, width, height, &b);
        offset += w + 5;
    }
    let codes = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];
    let rows: Vec<String> = (0..height)
        .map(|y| {
            (0..width)
                .map(|x| {
                    let code = codes.get(usize::from(pixel(&px, width, height, x, y)));
                    format!("\x1b[{} \x1b[0m", code.unwrap_or(&codes[0]))
                })
                .collect()
        })
        .collect();
    rows.join("\n")
}

/// A random number in [0, 1] scaled like Redis's `rand() / RAND_MAX`.
fn unit() -> f32 {
    fastrand::f32()
}

fn schotter(cols: usize, per_row: usize, per_col: usize) -> Canvas {
    let width = (cols * 2) as i64;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i64;
    let mut canvas = Canvas {
        width,
        height,
        pixels: vec![false; (width * height.max(0)) as usize],
    };
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut angle = 0.0f32;
            if y > 1 {
                let drift = |_| {
                    let r = unit() / per_col as f32 * y as f32;
                    if fastrand::bool() {
                        -r
                    } else {
                        r
                    }
                };
                let (r1, r2, r3) = (drift(0), drift(1), drift(2));
                angle = r1;
                sx = (sx as f32 + r2 * side / 3.0) as i64;
                sy = (sy as f32 + r3 * side / 3.0) as i64;
            }
            canvas.square(sx, sy, side, angle);
        }
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_schotter_is_one_braille_cell() {
        assert_eq!(schotter(1, 1, 1).render(), "\u{280b}\n");
    }
}
