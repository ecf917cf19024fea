//! Where each part of the screen goes. Pure, shared by `view` (drawing) and `update`
//! (page sizes, mouse hit-testing).

use ratatui::layout::Rect;

/// The screen's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The top status bar.
    pub status: Rect,
    /// The topic browser (with border).
    pub browser: Rect,
    /// The tail pane (with border).
    pub tail: Rect,
    /// The tail's record rows (inside the border, below the column header).
    pub tail_rows: Rect,
    /// The timeline (with border).
    pub timeline: Rect,
    /// The timeline's bars and axis (inside the border).
    pub timeline_inner: Rect,
    /// The bottom hint / message line.
    pub hints: Rect,
}

/// Height of the timeline block: border, two rows of bars, the axis, border.
pub const TIMELINE_HEIGHT: u16 = 5;

/// Splits a screen of `size` (columns, rows), with the topic browser.
pub fn areas(size: (u16, u16)) -> Areas {
    screen(size, true)
}

/// Splits a screen of `size`; without the `browser` the tail takes the full width.
pub fn screen(size: (u16, u16), browser: bool) -> Areas {
    let (w, h) = size;
    let status = Rect::new(0, 0, w, 1.min(h));
    let hints = Rect::new(0, h.saturating_sub(1), w, 1.min(h));
    let timeline_h = TIMELINE_HEIGHT.min(h.saturating_sub(2));
    let body_h = h.saturating_sub(2 + timeline_h);
    let timeline = Rect::new(0, 1 + body_h, w, timeline_h);
    // A third of the width, at least 30 columns (a name and its count at 80×24), up to
    // 60: room for a channel name, its state, count, rate, size and age on a wide one.
    let bw = if browser {
        (w / 3).max(30.min(w / 2)).min(60)
    } else {
        0
    };
    let browser = Rect::new(0, 1, bw, body_h);
    let tail = Rect::new(bw, 1, w.saturating_sub(bw), body_h);
    let tail_rows = Rect::new(
        tail.x + 1,
        tail.y + 2,
        tail.width.saturating_sub(2),
        tail.height.saturating_sub(3),
    );
    let timeline_inner = Rect::new(
        1,
        timeline.y + 1,
        w.saturating_sub(2),
        timeline.height.saturating_sub(2),
    );
    Areas {
        status,
        browser,
        tail,
        tail_rows,
        timeline,
        timeline_inner,
        hints,
    }
}

/// The browser's list rows inside its border, below the column header (and the filter
/// line when it shows).
pub fn browser_rows(a: &Areas, filter_line: bool) -> Rect {
    let b = a.browser;
    let top = if filter_line { 3 } else { 2 };
    Rect::new(
        b.x + 1,
        b.y + top,
        b.width.saturating_sub(2),
        b.height.saturating_sub(1 + top),
    )
}

/// Whether `(x, y)` lies in `r`.
pub fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}
