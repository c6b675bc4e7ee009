//! Pictures for the table and the detail pane, decoded off the UI thread: images are read
//! with size limits (a hostile file cannot exhaust memory) and scaled down; a video's poster
//! is one frame taken by `ffmpeg` when it is installed (bounded in time).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eframe::egui::{self, ColorImage};

/// Largest picture the Lab decodes, in pixels per side.
const MAX_SIDE: u32 = 16_384;
/// Largest allocation a decoder may make.
const MAX_ALLOC: u64 = 512 << 20;
/// How long a poster may take.
const POSTER_TIMEOUT: Duration = Duration::from_secs(10);

/// A texture on the GPU. egui's handle has no `Debug`; this one prints its id.
#[derive(Clone)]
pub struct Texture(pub egui::TextureHandle);

impl std::fmt::Debug for Texture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Texture").field(&self.0.id()).finish()
    }
}

impl std::ops::Deref for Texture {
    type Target = egui::TextureHandle;
    fn deref(&self) -> &egui::TextureHandle {
        &self.0
    }
}

impl std::ops::DerefMut for Texture {
    fn deref_mut(&mut self) -> &mut egui::TextureHandle {
        &mut self.0
    }
}

/// Decodes an image file and scales it to fit in `max` pixels per side.
pub fn load_image(path: &Path, max: u32) -> Result<ColorImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    decode(&bytes, max).map_err(|e| format!("{}: {e}", path.display()))
}

fn decode(bytes: &[u8], max: u32) -> Result<ColorImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    let image = if image.width() > max || image.height() > max {
        image.thumbnail(max, max)
    } else {
        image
    };
    let rgba = image.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

/// A frame from about one second into a video, as an image fitting in `max` pixels per side.
pub fn video_poster(path: &Path, max: u32) -> Result<ColorImage, String> {
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-ss", "1", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("no poster: ffmpeg could not be started ({e}); install ffmpeg to see video posters")
        })?;
    let mut stdout = child.stdout.take().ok_or("no poster: ffmpeg gave no output")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error leaves what was read so far; the poster is then decoded from that or
        // reported as unreadable by the decoder below.
        let _ = stdout.by_ref().take(64 << 20).read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > POSTER_TIMEOUT => {
                // Kill fails only if it already exited; wait reaps it either way. The timeout
                // is what is reported.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no poster: ffmpeg took over {} s",
                    POSTER_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("no poster: {e}")),
        }
    }
    let out = reader.join().unwrap_or_default();
    if out.is_empty() {
        return Err(format!("no poster: ffmpeg could not read {}", path.display()));
    }
    decode(&out, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_scaled_to_fit_and_garbage_is_an_error() {
        let mut png = Vec::new();
        let img = image::RgbaImage::from_pixel(300, 100, image::Rgba([10, 20, 30, 255]));
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let small = decode(&png, 64).unwrap();
        assert_eq!(small.size, [64, 21]);
        assert!(decode(b"not an image", 64).is_err());
    }
}
