// AudioWorklet processors for the WebSocket transport (the context runs at 16 kHz).
// capture: microphone → 20 ms PCM16 frames posted to the page (320 samples at 16 kHz).
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Int16Array(320);
    this.at = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    // A silent or inactive input arrives with no channels: treat it as silence (webrtc.md §5.12).
    const n = ch ? ch.length : 128;
    for (let i = 0; i < n; i++) {
      const v = ch ? Math.max(-1, Math.min(1, ch[i])) : 0;
      this.frame[this.at++] = v < 0 ? v * 0x8000 : v * 0x7fff;
      if (this.at === this.frame.length) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(320);
        this.at = 0;
      }
    }
    return true;
  }
}
registerProcessor('capture', Capture);

// player: plays PCM16 frames posted by the page; 'clear' drops everything queued (barge-in).
class Player extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.current = null;
    this.pos = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'clear') {
        this.queue = [];
        this.current = null;
      } else this.queue.push(new Int16Array(e.data));
    };
  }
  process(_inputs, outputs) {
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) {
      if (!this.current || this.pos >= this.current.length) {
        this.current = this.queue.shift() || null;
        this.pos = 0;
      }
      out[i] = this.current ? this.current[this.pos++] / 0x8000 : 0;
    }
    return true;
  }
}
registerProcessor('player', Player);
