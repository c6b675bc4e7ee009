//! Input adapters: items (manifest JSON plus media) to the tensors a model takes.
//!
//! Each adapter turns a batch of items into one set of feeds. An item that cannot be
//! prepared (an unreadable image, a missing field) is left out of the tensors and reported
//! with its reason; the rest of the batch is scored.

use std::ops::Range;
use std::path::Path;

use fast_image_resize as fr;
use image::{DynamicImage, ImageDecoder as _, ImageReader};
use serde_json::Value;
use sift_api::ScoreInput;

use crate::config::{ChannelOrder, Filter, ImageConfig, Layout, ResizeMode};
use crate::model::{Adapter, Element, TokenFeeds};

/// The numbers of one feed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FeedData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    I32(Vec<i32>),
}

/// One named model input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Feed {
    pub(crate) name: String,
    pub(crate) shape: Vec<i64>,
    pub(crate) data: FeedData,
}

/// A batch ready for the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    /// Per item: its rows in the batch tensors, or why it was left out.
    pub(crate) items: Vec<Result<Range<usize>, String>>,
    /// Rows in the batch tensors.
    pub(crate) rows: usize,
    pub(crate) feeds: Vec<Feed>,
    /// Token inputs: the attention mask, `rows x tokens`.
    pub(crate) mask: Option<(usize, Vec<i64>)>,
}

impl Prepared {
    /// Items in the batch.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch holds no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first feed's values as `f32`, if it is a float32 feed (tests compare it with
    /// reference preprocessing).
    pub fn first_feed_f32(&self) -> Option<(&[i64], &[f32])> {
        let feed = self.feeds.first()?;
        match &feed.data {
            FeedData::F32(v) => Some((&feed.shape, v)),
            _ => None,
        }
    }

    /// Why each item was left out (`None` for the ones that are in).
    pub fn item_errors(&self) -> Vec<Option<&str>> {
        self.items
            .iter()
            .map(|r| r.as_ref().err().map(String::as_str))
            .collect()
    }
}

/// Prepares one batch with `adapter`.
pub(crate) fn prepare(adapter: &Adapter, items: &[ScoreInput]) -> Prepared {
    match adapter {
        Adapter::Image {
            input,
            width,
            height,
            channels,
            config,
        } => prepare_images(input, *width, *height, *channels, config, items),
        Adapter::Features {
            input,
            dim,
            field,
            element,
        } => prepare_features(input, *dim, field, *element, items),
        Adapter::Text { feeds, field } => {
            let texts = items.iter().map(|item| {
                let content = parse_content(item)?;
                let text = lookup(&content, field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("the manifest has no text field `{field}`"))?;
                Ok(vec![(text.to_owned(), None)])
            });
            prepare_tokens(feeds, texts.collect())
        }
        Adapter::Ranking {
            feeds,
            prompt_field,
            responses_field,
            response_key,
        } => {
            let pairs = items.iter().map(|item| {
                let content = parse_content(item)?;
                let prompt = lookup(&content, prompt_field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("the manifest has no prompt field `{prompt_field}`"))?;
                let responses = lookup(&content, responses_field)
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("the manifest has no array `{responses_field}` of responses"))?;
                if responses.len() < 2 {
                    return Err(format!(
                        "`{responses_field}` holds {} response(s); ranking needs two or more",
                        responses.len()
                    ));
                }
                responses
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let text = match (r, response_key) {
                            (Value::String(s), _) => Some(s.as_str()),
                            (Value::Object(o), Some(key)) => o.get(key).and_then(Value::as_str),
                            (Value::Object(o), None) => o.get("text").and_then(Value::as_str),
                            _ => None,
                        };
                        text.map(|t| (prompt.to_owned(), Some(t.to_owned())))
                            .ok_or_else(|| {
                                format!(
                                    "response {i} of `{responses_field}` is not a string{}",
                                    response_key.as_ref().map_or_else(
                                        || " or an object with `text`".to_owned(),
                                        |k| format!(" or an object with `{k}`")
                                    )
                                )
                            })
                    })
                    .collect()
            });
            prepare_tokens(feeds, pairs.collect())
        }
    }
}

fn parse_content(item: &ScoreInput) -> Result<Value, String> {
    serde_json::from_str(&item.content).map_err(|e| format!("the stored manifest line is not JSON: {e}"))
}

/// `field`, or `a.b.c` reaching into objects.
fn lookup<'v>(value: &'v Value, field: &str) -> Option<&'v Value> {
    if let Some(v) = value.get(field) {
        return Some(v);
    }
    field.split('.').try_fold(value, |v, key| v.get(key))
}

fn prepare_features(
    input: &str,
    dim: Option<usize>,
    field: &str,
    element: Element,
    items: &[ScoreInput],
) -> Prepared {
    let mut expected = dim;
    let mut data: Vec<f64> = Vec::new();
    let mut rows = 0;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let row = parse_content(item).and_then(|content| {
            let array = lookup(&content, field)
                .ok_or_else(|| format!("the manifest has no field `{field}`"))?
                .as_array()
                .ok_or_else(|| format!("field `{field}` is not an array of numbers"))?;
            let values: Vec<f64> = array
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_f64()
                        .ok_or_else(|| format!("field `{field}`[{i}] is not a number"))
                })
                .collect::<Result<_, _>>()?;
            match expected {
                Some(n) if n != values.len() => Err(format!(
                    "field `{field}` has {} numbers; model input `{input}` takes {n}",
                    values.len()
                )),
                _ => Ok(values),
            }
        });
        match row {
            Ok(values) => {
                expected.get_or_insert(values.len());
                data.extend_from_slice(&values);
                out.push(Ok(rows..rows + 1));
                rows += 1;
            }
            Err(e) => out.push(Err(e)),
        }
    }
    let width = expected.unwrap_or(0);
    let data = match element {
        Element::F64 => FeedData::F64(data),
        _ => FeedData::F32(data.into_iter().map(|v| v as f32).collect()),
    };
    Prepared {
        items: out,
        rows,
        feeds: vec![Feed {
            name: input.to_owned(),
            shape: vec![rows as i64, width as i64],
            data,
        }],
        mask: None,
    }
}

/// Token sequences: per item, one or more `(text, pair)` inputs.
/// One item's texts to tokenize: `(text, pair)` per model row, or why there are none.
type ItemTexts = Result<Vec<(String, Option<String>)>, String>;

fn prepare_tokens(feeds: &TokenFeeds, items: Vec<ItemTexts>) -> Prepared {
    let mut encoded: Vec<Result<Vec<tokenizers::Encoding>, String>> = Vec::with_capacity(items.len());
    for item in items {
        encoded.push(item.and_then(|inputs| {
            inputs
                .into_iter()
                .map(|(text, pair)| {
                    let result = match pair {
                        Some(p) => feeds.tokenizer.encode((text, p), true),
                        None => feeds.tokenizer.encode(text, true),
                    };
                    result.map_err(|e| format!("cannot tokenize: {e}"))
                })
                .collect()
        }));
    }
    let longest = encoded
        .iter()
        .flatten()
        .flatten()
        .map(|e| e.get_ids().len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    let mut types = Vec::new();
    let mut rows = 0;
    let mut out = Vec::with_capacity(encoded.len());
    for item in encoded {
        match item {
            Ok(encodings) => {
                let start = rows;
                for e in &encodings {
                    let n = e.get_ids().len();
                    ids.extend(e.get_ids().iter().map(|&v| i64::from(v)));
                    mask.extend(e.get_attention_mask().iter().map(|&v| i64::from(v)));
                    types.extend(e.get_type_ids().iter().map(|&v| i64::from(v)));
                    ids.extend(std::iter::repeat_n(feeds.pad_id, longest - n));
                    mask.extend(std::iter::repeat_n(0, longest - n));
                    types.extend(std::iter::repeat_n(feeds.pad_type_id, longest - n));
                    rows += 1;
                }
                out.push(Ok(start..rows));
            }
            Err(e) => out.push(Err(e)),
        }
    }
    let shape = vec![rows as i64, longest as i64];
    let feed = |name: &str, values: &[i64]| Feed {
        name: name.to_owned(),
        shape: shape.clone(),
        data: match feeds.element {
            Element::I32 => FeedData::I32(values.iter().map(|&v| v as i32).collect()),
            _ => FeedData::I64(values.to_vec()),
        },
    };
    let mut list = vec![feed(&feeds.ids, &ids)];
    if let Some(name) = &feeds.mask {
        list.push(feed(name, &mask));
    }
    if let Some(name) = &feeds.types {
        list.push(feed(name, &types));
    }
    Prepared {
        items: out,
        rows,
        feeds: list,
        mask: Some((longest, mask)),
    }
}

fn prepare_images(
    input: &str,
    width: u32,
    height: u32,
    channels: u32,
    config: &ImageConfig,
    items: &[ScoreInput],
) -> Prepared {
    let plane = (width * height) as usize;
    let per_image = plane * channels as usize;
    let mut data = vec![0.0_f32; per_image * items.len()];
    let mut rows = 0;
    let mut out = Vec::with_capacity(items.len());
    let lut = Lut::new(config);
    for item in items {
        let slot = data
            .get_mut(rows * per_image..(rows + 1) * per_image)
            .unwrap_or_default();
        match image_path(item, config)
            .and_then(|p| preprocess_into(&p, width, height, channels, config, &lut, slot))
        {
            Ok(()) => {
                out.push(Ok(rows..rows + 1));
                rows += 1;
            }
            Err(e) => out.push(Err(e)),
        }
    }
    data.truncate(rows * per_image);
    let (w, h, c) = (i64::from(width), i64::from(height), i64::from(channels));
    let shape = match config.layout {
        Layout::Nchw => vec![rows as i64, c, h, w],
        Layout::Nhwc => vec![rows as i64, h, w, c],
    };
    Prepared {
        items: out,
        rows,
        feeds: vec![Feed {
            name: input.to_owned(),
            shape,
            data: FeedData::F32(data),
        }],
        mask: None,
    }
}

fn image_path(item: &ScoreInput, config: &ImageConfig) -> Result<String, String> {
    let reference = match &config.field {
        Some(field) => {
            let content = parse_content(item)?;
            lookup(&content, field)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the manifest has no image path field `{field}`"))?
                .to_owned()
        }
        None => item
            .media_ref
            .clone()
            .ok_or_else(|| "the item has no media (`source-ref`) to score".to_owned())?,
    };
    let lower = reference.to_ascii_lowercase();
    if ["s3://", "http://", "https://", "gs://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Err(format!(
            "{reference} is remote: pull the media first (scoring reads local files)"
        ));
    }
    Ok(reference.strip_prefix("file://").unwrap_or(&reference).to_owned())
}

/// `value = pixel * scale + bias` per channel, as a table.
struct Lut([[f32; 256]; 3]);

impl Lut {
    fn new(config: &ImageConfig) -> Self {
        let mut t = [[0.0; 256]; 3];
        for (c, row) in t.iter_mut().enumerate() {
            let mean = config.mean.get(c).copied().unwrap_or(0.0);
            let std = config.std.get(c).copied().unwrap_or(1.0);
            for (p, v) in row.iter_mut().enumerate() {
                *v = (p as f32 / 255.0 - mean) / std;
            }
        }
        Lut(t)
    }
}

/// Decodes an image (EXIF orientation applied) as RGB.
///
/// # Errors
///
/// A message naming the file and what is wrong with it.
pub fn decode_image(path: &Path) -> Result<image::RgbImage, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot open image {name}: {e}"))?;
    let reader = ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read image {name}: {e}"))?;
    if reader.format() == Some(image::ImageFormat::Jpeg) && jpeg_is_truncated(&bytes) {
        return Err(format!(
            "{name} is corrupt or truncated: the JPEG data ends before its end-of-image marker"
        ));
    }
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("{name} is not a readable image: {e}"))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| format!("{name} is corrupt or truncated: {e}"))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// Whether a JPEG stops before the end-of-image marker of its last scan. Decoders fill a cut
/// file with grey and carry on; a model would then score an image nobody can label. (Marker
/// bytes cannot occur inside scan data, which stuffs every 0xFF with a 0x00.)
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == marker);
    match (last(0xDA), last(0xD9)) {
        (Some(scan), Some(end)) => end < scan,
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

/// Decodes, resizes (and crops) an image and writes it normalised into `out`
/// (`channels * height * width` values in the configured layout).
fn preprocess_into(
    path: &str,
    width: u32,
    height: u32,
    channels: u32,
    config: &ImageConfig,
    lut: &Lut,
    out: &mut [f32],
) -> Result<(), String> {
    let rgb = decode_image(Path::new(path))?;
    let resized = resize(&rgb, width, height, config).map_err(|e| format!("cannot resize {path}: {e}"))?;
    let (w, h) = (width as usize, height as usize);
    let plane = w * h;
    if channels == 1 {
        // ITU-R 601 luma, as Pillow's convert("L").
        for (i, px) in resized.chunks_exact(3).enumerate() {
            let l = (u32::from(px[0]) * 19595 + u32::from(px[1]) * 38470 + u32::from(px[2]) * 7471 + 0x8000)
                >> 16;
            if let Some(v) = out.get_mut(i) {
                *v = lut.0[0][l.min(255) as usize];
            }
        }
        return Ok(());
    }
    let order: [usize; 3] = match config.channels {
        ChannelOrder::Rgb => [0, 1, 2],
        ChannelOrder::Bgr => [2, 1, 0],
    };
    match config.layout {
        Layout::Nchw => {
            let (c0, rest) = out.split_at_mut(plane.min(out.len()));
            let (c1, c2) = rest.split_at_mut(plane.min(rest.len()));
            for (i, px) in resized.chunks_exact(3).enumerate().take(plane) {
                if let (Some(a), Some(b), Some(c)) = (c0.get_mut(i), c1.get_mut(i), c2.get_mut(i)) {
                    *a = lut.0[0][px[order[0]] as usize];
                    *b = lut.0[1][px[order[1]] as usize];
                    *c = lut.0[2][px[order[2]] as usize];
                }
            }
        }
        Layout::Nhwc => {
            for (dst, px) in out.chunks_exact_mut(3).zip(resized.chunks_exact(3)) {
                dst[0] = lut.0[0][px[order[0]] as usize];
                dst[1] = lut.0[1][px[order[1]] as usize];
                dst[2] = lut.0[2][px[order[2]] as usize];
            }
        }
    }
    Ok(())
}

/// Resizes to the model's size: straight (`stretch`), or shorter side to `shorter_side` then a
/// centre crop (`crop`). Returns packed RGB bytes, `width * height * 3`.
fn resize(rgb: &image::RgbImage, width: u32, height: u32, config: &ImageConfig) -> Result<Vec<u8>, String> {
    let (sw, sh) = rgb.dimensions();
    let (rw, rh) = match config.resize {
        ResizeMode::Stretch => (width, height),
        ResizeMode::Crop => {
            let short = config.shorter_side.unwrap_or(width.max(height));
            crop_scale(sw, sh, short)
        }
    };
    let resized = if (rw, rh) == (sw, sh) {
        rgb.as_raw().clone()
    } else {
        let src = fr::images::ImageRef::new(sw, sh, rgb.as_raw(), fr::PixelType::U8x3)
            .map_err(|e| e.to_string())?;
        let mut dst = fr::images::Image::new(rw, rh, fr::PixelType::U8x3);
        let alg = match config.filter {
            Filter::Nearest => fr::ResizeAlg::Nearest,
            Filter::Bilinear => fr::ResizeAlg::Convolution(fr::FilterType::Bilinear),
            Filter::Bicubic => fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom),
            Filter::Lanczos3 => fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
        };
        fr::Resizer::new()
            .resize(&src, &mut dst, &fr::ResizeOptions::new().resize_alg(alg))
            .map_err(|e| e.to_string())?;
        dst.into_vec()
    };
    if (rw, rh) == (width, height) {
        return Ok(resized);
    }
    if rw < width || rh < height {
        return Err(format!(
            "{rw}x{rh} after scaling is smaller than the {width}x{height} crop"
        ));
    }
    // Centre crop; the offsets round half to even, as torchvision's CenterCrop (Python's round).
    let left = (f64::from(rw - width) / 2.0).round_ties_even() as usize;
    let top = (f64::from(rh - height) / 2.0).round_ties_even() as usize;
    let (rw, w) = (rw as usize, width as usize);
    let mut out = Vec::with_capacity(w * height as usize * 3);
    for y in top..top + height as usize {
        let start = (y * rw + left) * 3;
        out.extend_from_slice(resized.get(start..start + w * 3).unwrap_or_default());
    }
    Ok(out)
}

/// The size with the shorter side `short` and the aspect ratio kept (the longer side is
/// truncated, as torchvision's `Resize(int)` does).
fn crop_scale(w: u32, h: u32, short: u32) -> (u32, u32) {
    if w <= h {
        (
            short,
            ((u64::from(short) * u64::from(h)) / u64::from(w.max(1))) as u32,
        )
    } else {
        (
            ((u64::from(short) * u64::from(w)) / u64::from(h.max(1))) as u32,
            short,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_sizes() {
        assert_eq!(crop_scale(640, 480, 256), (341, 256));
        assert_eq!(crop_scale(480, 640, 224), (224, 298));
        assert_eq!(crop_scale(100, 100, 32), (32, 32));
    }

    #[test]
    fn fields_and_features() {
        let item = |id, content: &str| ScoreInput {
            item_id: id,
            content: content.to_owned(),
            media_ref: None,
        };
        let items = [
            item(1, r#"{"f":[1,2,3]}"#),
            item(2, r#"{"f":[1,2]}"#),
            item(3, r#"{"g":{"f":[4,5,6]}}"#),
            item(4, r#"{"f":"x"}"#),
        ];
        let p = prepare_features("x", None, "f", Element::F32, &items[..2]);
        assert_eq!(p.rows, 1);
        assert!(
            p.items[1]
                .as_ref()
                .unwrap_err()
                .contains("has 2 numbers; model input `x` takes 3")
        );
        let p = prepare_features("x", Some(3), "g.f", Element::F32, &items);
        assert_eq!(p.rows, 1);
        assert_eq!(
            p.first_feed_f32().unwrap(),
            (&[1_i64, 3][..], &[4.0_f32, 5.0, 6.0][..])
        );
        assert!(p.items[3].as_ref().unwrap_err().contains("no field `g.f`"));
    }
}
