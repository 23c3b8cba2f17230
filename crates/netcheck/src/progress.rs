//! Live progress on stderr, drawn from the runner's events: a spinner per check on a terminal,
//! one plain line per start and end otherwise, nothing with --json. The same events are folded
//! into the report as they are drawn.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use netcheck_core::{Event, ReportBuilder};
use netcheck_text::mark;
use tokio::sync::mpsc::UnboundedReceiver;

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Spinners,
    Lines,
    Silent,
}

/// Draws every event until the run's sender is dropped; `fold` has taken them all in.
pub async fn draw(
    mut events: UnboundedReceiver<Event>,
    mode: Mode,
    mut fold: ReportBuilder,
) -> ReportBuilder {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let mut bars: HashMap<String, ProgressBar> = HashMap::new();
    let spinner = ProgressStyle::with_template("{spinner} {prefix:<5} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let done = ProgressStyle::with_template("{prefix:<7} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    while let Some(event) = events.recv().await {
        fold.apply(&event);
        match (mode, event) {
            (Mode::Silent, _) | (_, Event::Ended { .. }) => {}
            (Mode::Lines, Event::Started { id, .. }) => eprintln!("{id:<5} started"),
            (Mode::Lines, Event::Finished { check }) => {
                eprintln!(
                    "{:<5} {} ({:.0} ms){}",
                    check.id,
                    check.status.as_str(),
                    check.duration_ms,
                    error_suffix(check.error.as_deref())
                )
            }
            (Mode::Spinners, Event::Started { id, title }) => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(spinner.clone());
                bar.set_prefix(id.clone());
                bar.set_message(format!("{title}…"));
                bar.enable_steady_tick(Duration::from_millis(100));
                bars.insert(id, bar);
            }
            (Mode::Spinners, Event::Finished { check }) => {
                if let Some(bar) = bars.remove(&check.id) {
                    bar.set_style(done.clone());
                    bar.set_prefix(format!("{} {}", mark(check.status), check.id));
                    bar.finish_with_message(format!(
                        "{} ({:.0} ms){}",
                        check.status.as_str(),
                        check.duration_ms,
                        error_suffix(check.error.as_deref())
                    ));
                }
            }
        }
    }
    let _ = multi.clear();
    fold
}

fn error_suffix(error: Option<&str>) -> String {
    // The error quotes peers (a server's words, a name): printed clean, on one line.
    error
        .map(|e| format!(": {}", netcheck_text::clean_str(e)))
        .unwrap_or_default()
}
