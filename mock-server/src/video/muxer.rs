//! Writes an H.264 elementary stream into an MP4 file (ISO BMFF): `ftyp`, then `moov` with the
//! video track (and, when asked, a silent AAC sound track of the same length), then `mdat`
//! holding each track's samples in one chunk. `moov` comes first so players can start before
//! the whole file has arrived.

/// What the MP4 needs to know about the stream.
pub(crate) struct Track<'a> {
    pub width: u32,
    pub height: u32,
    /// Frames per second; also the media timescale, so every sample lasts one tick.
    pub fps: u32,
    pub sps: &'a [u8],
    pub pps: &'a [u8],
    /// (profile_idc, constraint flags, level_idc)
    pub profile: (u8, u8, u8),
    /// NAL units, one picture each; the first one is the IDR picture.
    pub samples: &'a [Vec<u8>],
    /// Add a sound track of silence as long as the video.
    pub silent_audio: bool,
}

const MOVIE_TIMESCALE: u32 = 1000;

/// The sound track: AAC-LC, mono, 48 kHz, 1024 samples a frame.
const AUDIO_RATE: u32 = 48_000;
const AUDIO_FRAME_SAMPLES: u32 = 1024;
/// One raw AAC-LC mono frame that decodes to silence.
const SILENT_AAC_FRAME: [u8; 6] = [0x00, 0xc8, 0x00, 0x80, 0x23, 0x80];
/// AudioSpecificConfig: object type 2 (AAC-LC), frequency index 3 (48 kHz), one channel.
const AUDIO_SPECIFIC_CONFIG: [u8; 2] = [0x11, 0x88];

struct BoxWriter {
    out: Vec<u8>,
    open: Vec<usize>,
}

impl BoxWriter {
    fn new(capacity: usize) -> Self {
        BoxWriter {
            out: Vec::with_capacity(capacity),
            open: Vec::new(),
        }
    }

    fn begin(&mut self, kind: &[u8; 4]) {
        self.open.push(self.out.len());
        self.u32(0);
        self.out.extend_from_slice(kind);
    }

    fn begin_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        self.begin(kind);
        self.u32((u32::from(version) << 24) | flags);
    }

    fn end(&mut self) {
        let start = self.open.pop().expect("a box is open");
        let size = (self.out.len() - start) as u32;
        self.out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    }

    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn zeros(&mut self, n: usize) {
        self.out.resize(self.out.len() + n, 0);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// The identity transformation matrix of `mvhd` and `tkhd`.
    fn matrix(&mut self) {
        for v in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000u32] {
            self.u32(v);
        }
    }
}

/// A frame side as the boxes store it: exactly, never cut to 16 bits (`render` refuses sides
/// past `frame::MAX_SIDE`, which fits).
fn side(value: u32) -> u16 {
    u16::try_from(value).expect("render keeps frame sides within 16 bits")
}

pub(crate) fn mux(track: &Track<'_>) -> Vec<u8> {
    let sample_sizes: Vec<u32> = track.samples.iter().map(|s| s.len() as u32 + 4).collect();
    let payload: usize = sample_sizes.iter().map(|s| *s as usize).sum();
    let frames = track.samples.len() as u32;
    let duration_ms =
        (u64::from(frames) * u64::from(MOVIE_TIMESCALE) / u64::from(track.fps)) as u32;
    let audio_frames = if track.silent_audio {
        // Enough frames to cover the video; the last one may run a little past it.
        (u64::from(frames) * u64::from(AUDIO_RATE))
            .div_ceil(u64::from(track.fps) * u64::from(AUDIO_FRAME_SAMPLES)) as u32
    } else {
        0
    };

    // The chunk offsets depend on the size of moov, which does not depend on their values:
    // write moov once with placeholders, then patch them.
    let audio_bytes = audio_frames as usize * SILENT_AAC_FRAME.len();
    let mut w = BoxWriter::new(payload + audio_bytes + 4096 + track.samples.len() * 4);
    w.begin(b"ftyp");
    w.bytes(b"isom");
    w.u32(0x200);
    w.bytes(b"isomiso2avc1mp41");
    w.end();

    w.begin(b"moov");
    w.begin_full(b"mvhd", 0, 0);
    w.u32(0); // creation_time
    w.u32(0); // modification_time
    w.u32(MOVIE_TIMESCALE);
    w.u32(duration_ms);
    w.u32(0x0001_0000); // rate 1.0
    w.u16(0x0100); // volume 1.0
    w.zeros(10);
    w.matrix();
    w.zeros(24); // pre_defined
    w.u32(if track.silent_audio { 3 } else { 2 }); // next_track_ID
    w.end();
    let video_offset_at = video_trak(&mut w, track, &sample_sizes, duration_ms);
    let audio_offset_at = track
        .silent_audio
        .then(|| audio_trak(&mut w, audio_frames, duration_ms));
    w.end(); // moov

    w.begin(b"mdat");
    let first_sample = w.out.len() as u32;
    w.out[video_offset_at..video_offset_at + 4].copy_from_slice(&first_sample.to_be_bytes());
    for sample in track.samples {
        w.u32(sample.len() as u32);
        w.bytes(sample);
    }
    if let Some(at) = audio_offset_at {
        let first_audio = w.out.len() as u32;
        w.out[at..at + 4].copy_from_slice(&first_audio.to_be_bytes());
        for _ in 0..audio_frames {
            w.bytes(&SILENT_AAC_FRAME);
        }
    }
    w.end();
    w.out
}

/// `dinf` with one reference: the media is in this file.
fn data_information(w: &mut BoxWriter) {
    w.begin(b"dinf");
    w.begin_full(b"dref", 0, 0);
    w.u32(1);
    w.begin_full(b"url ", 0, 1);
    w.end();
    w.end();
    w.end();
}

/// A track header: `id`, its length, and the video size (0 for sound).
fn track_header(w: &mut BoxWriter, id: u32, duration_ms: u32, volume: u16, size: (u32, u32)) {
    w.begin_full(b"tkhd", 0, 0x3); // enabled, in movie
    w.u32(0);
    w.u32(0);
    w.u32(id);
    w.u32(0);
    w.u32(duration_ms);
    w.zeros(8);
    w.u16(0); // layer
    w.u16(0); // alternate_group
    w.u16(volume);
    w.u16(0);
    w.matrix();
    w.u32(u32::from(side(size.0)) << 16);
    w.u32(u32::from(side(size.1)) << 16);
    w.end();
}

/// `mdhd` and `hdlr` of a track.
fn media_header(w: &mut BoxWriter, timescale: u32, duration: u32, handler: &[u8; 4], name: &[u8]) {
    w.begin_full(b"mdhd", 0, 0);
    w.u32(0);
    w.u32(0);
    w.u32(timescale);
    w.u32(duration);
    w.u16(0x55c4); // language "und"
    w.u16(0);
    w.end();
    w.begin_full(b"hdlr", 0, 0);
    w.u32(0);
    w.bytes(handler);
    w.zeros(12);
    w.bytes(name);
    w.end();
}

/// `stts`: `count` samples of `delta` ticks each.
fn time_to_sample(w: &mut BoxWriter, count: u32, delta: u32) {
    w.begin_full(b"stts", 0, 0);
    w.u32(1);
    w.u32(count);
    w.u32(delta);
    w.end();
}

/// `stsc`: every sample in one chunk.
fn one_chunk(w: &mut BoxWriter, count: u32) {
    w.begin_full(b"stsc", 0, 0);
    w.u32(1);
    w.u32(1); // first_chunk
    w.u32(count); // samples_per_chunk
    w.u32(1); // sample_description_index
    w.end();
}

/// `stco` with one chunk; returns where its offset is to be patched.
fn chunk_offset(w: &mut BoxWriter) -> usize {
    w.begin_full(b"stco", 0, 0);
    w.u32(1);
    let offset_at = w.out.len();
    w.u32(0);
    w.end();
    offset_at
}

fn video_trak(
    w: &mut BoxWriter,
    track: &Track<'_>,
    sample_sizes: &[u32],
    duration_ms: u32,
) -> usize {
    let frames = sample_sizes.len() as u32;
    w.begin(b"trak");
    track_header(w, 1, duration_ms, 0, (track.width, track.height));
    w.begin(b"mdia");
    media_header(w, track.fps, frames, b"vide", b"VideoHandler\0");
    w.begin(b"minf");
    w.begin_full(b"vmhd", 0, 1);
    w.zeros(8);
    w.end();
    data_information(w);

    w.begin(b"stbl");
    w.begin_full(b"stsd", 0, 0);
    w.u32(1);
    w.begin(b"avc1");
    w.zeros(6);
    w.u16(1); // data_reference_index
    w.zeros(16);
    w.u16(side(track.width));
    w.u16(side(track.height));
    w.u32(0x0048_0000); // 72 dpi
    w.u32(0x0048_0000);
    w.u32(0);
    w.u16(1); // frame_count
    let mut name = [0u8; 32];
    let label = b"novita-mock";
    name[0] = label.len() as u8;
    name[1..=label.len()].copy_from_slice(label);
    w.bytes(&name);
    w.u16(0x0018); // depth
    w.u16(0xffff); // pre_defined = -1
    w.begin(b"avcC");
    let (profile, compatibility, level) = track.profile;
    w.u8(1);
    w.u8(profile);
    w.u8(compatibility);
    w.u8(level);
    w.u8(0xff); // lengthSizeMinusOne = 3
    w.u8(0xe1); // one SPS
    w.u16(track.sps.len() as u16);
    w.bytes(track.sps);
    w.u8(1); // one PPS
    w.u16(track.pps.len() as u16);
    w.bytes(track.pps);
    w.end(); // avcC
    w.end(); // avc1
    w.end(); // stsd

    time_to_sample(w, frames, 1);
    w.begin_full(b"stss", 0, 0); // only the first picture is a sync sample
    w.u32(1);
    w.u32(1);
    w.end();
    one_chunk(w, frames);
    w.begin_full(b"stsz", 0, 0);
    w.u32(0); // sizes vary
    w.u32(frames);
    for size in sample_sizes {
        w.u32(*size);
    }
    w.end();
    let offset_at = chunk_offset(w);
    w.end(); // stbl
    w.end(); // minf
    w.end(); // mdia
    w.end(); // trak
    offset_at
}

fn audio_trak(w: &mut BoxWriter, frames: u32, duration_ms: u32) -> usize {
    w.begin(b"trak");
    track_header(w, 2, duration_ms, 0x0100, (0, 0));
    w.begin(b"mdia");
    media_header(
        w,
        AUDIO_RATE,
        frames * AUDIO_FRAME_SAMPLES,
        b"soun",
        b"SoundHandler\0",
    );
    w.begin(b"minf");
    w.begin_full(b"smhd", 0, 0);
    w.u16(0); // balance
    w.u16(0);
    w.end();
    data_information(w);

    w.begin(b"stbl");
    w.begin_full(b"stsd", 0, 0);
    w.u32(1);
    w.begin(b"mp4a");
    w.zeros(6);
    w.u16(1); // data_reference_index
    w.zeros(8);
    w.u16(1); // channelcount
    w.u16(16); // samplesize
    w.u32(0); // pre_defined, reserved
    w.u32(AUDIO_RATE << 16);
    w.begin_full(b"esds", 0, 0);
    // ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo, then SLConfigDescriptor.
    w.bytes(&[0x03, 25]);
    w.u16(2); // ES_ID
    w.u8(0); // flags
    w.bytes(&[0x04, 17]);
    w.u8(0x40); // objectTypeIndication: MPEG-4 audio
    w.u8(0x15); // streamType audio, upStream 0, reserved 1
    w.bytes(&[0, 0, 0]); // bufferSizeDB
    w.u32(8_000); // maxBitrate
    w.u32(8_000); // avgBitrate
    w.bytes(&[0x05, 2]);
    w.bytes(&AUDIO_SPECIFIC_CONFIG);
    w.bytes(&[0x06, 1, 0x02]);
    w.end(); // esds
    w.end(); // mp4a
    w.end(); // stsd

    time_to_sample(w, frames, AUDIO_FRAME_SAMPLES);
    one_chunk(w, frames);
    w.begin_full(b"stsz", 0, 0);
    w.u32(SILENT_AAC_FRAME.len() as u32); // every frame the same size
    w.u32(frames);
    w.end();
    let offset_at = chunk_offset(w);
    w.end(); // stbl
    w.end(); // minf
    w.end(); // mdia
    w.end(); // trak
    offset_at
}
