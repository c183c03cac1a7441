//! Writes an H.264 elementary stream into an MP4 file (ISO BMFF): `ftyp`, then `moov` with one
//! video track, then `mdat` holding every sample in one chunk. `moov` comes first so players
//! can start before the whole file has arrived.

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
}

const MOVIE_TIMESCALE: u32 = 1000;

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

pub(crate) fn mux(track: &Track<'_>) -> Vec<u8> {
    let sample_sizes: Vec<u32> = track.samples.iter().map(|s| s.len() as u32 + 4).collect();
    let payload: usize = sample_sizes.iter().map(|s| *s as usize).sum();
    let frames = track.samples.len() as u32;
    let duration_ms =
        (u64::from(frames) * u64::from(MOVIE_TIMESCALE) / u64::from(track.fps)) as u32;

    // The chunk offset depends on the size of moov, which does not depend on the offset's
    // value: write moov once with a placeholder, then patch it.
    let mut w = BoxWriter::new(payload + 4096 + track.samples.len() * 4);
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
    w.u32(2); // next_track_ID
    w.end();

    w.begin(b"trak");
    w.begin_full(b"tkhd", 0, 0x3); // enabled, in movie
    w.u32(0);
    w.u32(0);
    w.u32(1); // track_ID
    w.u32(0);
    w.u32(duration_ms);
    w.zeros(8);
    w.u16(0); // layer
    w.u16(0); // alternate_group
    w.u16(0); // volume: video
    w.u16(0);
    w.matrix();
    w.u32(track.width << 16);
    w.u32(track.height << 16);
    w.end();

    w.begin(b"mdia");
    w.begin_full(b"mdhd", 0, 0);
    w.u32(0);
    w.u32(0);
    w.u32(track.fps);
    w.u32(frames);
    w.u16(0x55c4); // language "und"
    w.u16(0);
    w.end();
    w.begin_full(b"hdlr", 0, 0);
    w.u32(0);
    w.bytes(b"vide");
    w.zeros(12);
    w.bytes(b"VideoHandler\0");
    w.end();

    w.begin(b"minf");
    w.begin_full(b"vmhd", 0, 1);
    w.zeros(8);
    w.end();
    w.begin(b"dinf");
    w.begin_full(b"dref", 0, 0);
    w.u32(1);
    w.begin_full(b"url ", 0, 1); // media is in this file
    w.end();
    w.end();
    w.end();

    w.begin(b"stbl");
    w.begin_full(b"stsd", 0, 0);
    w.u32(1);
    w.begin(b"avc1");
    w.zeros(6);
    w.u16(1); // data_reference_index
    w.zeros(16);
    w.u16(track.width as u16);
    w.u16(track.height as u16);
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

    w.begin_full(b"stts", 0, 0);
    w.u32(1);
    w.u32(frames);
    w.u32(1);
    w.end();
    w.begin_full(b"stss", 0, 0); // only the first picture is a sync sample
    w.u32(1);
    w.u32(1);
    w.end();
    w.begin_full(b"stsc", 0, 0);
    w.u32(1);
    w.u32(1); // first_chunk
    w.u32(frames); // samples_per_chunk
    w.u32(1); // sample_description_index
    w.end();
    w.begin_full(b"stsz", 0, 0);
    w.u32(0); // sizes vary
    w.u32(frames);
    for size in &sample_sizes {
        w.u32(*size);
    }
    w.end();
    w.begin_full(b"stco", 0, 0);
    w.u32(1);
    let chunk_offset_at = w.out.len();
    w.u32(0);
    w.end();
    w.end(); // stbl
    w.end(); // minf
    w.end(); // mdia
    w.end(); // trak
    w.end(); // moov

    w.begin(b"mdat");
    let first_sample = w.out.len() as u32;
    w.out[chunk_offset_at..chunk_offset_at + 4].copy_from_slice(&first_sample.to_be_bytes());
    for sample in track.samples {
        w.u32(sample.len() as u32);
        w.bytes(sample);
    }
    w.end();
    w.out
}
