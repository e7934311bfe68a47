import { describe, expect, it } from "vitest";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { rawHost } from "../support/r30x-host.js";
import { hex } from "../support/bytes.js";

/** "EF01 FFFFFFFF 01 ..." as bytes; spaces are for reading. */
const OK = "ef01ffffffff07000300000a";

/**
 * The enrol-then-identify sequence every R30x client library issues, as raw bytes
 * written out by hand from the frame rules (no Basma code builds them), with the
 * exact replies such a client parses. A simulator that passes this is what a
 * third-party client sees on a real module.
 */
describe("R30x simulator: a client's enrol and search, byte for byte", () => {
  it("enrols a finger into page 3 and finds it there", () => {
    const host = rawHost({ model: "r307" });
    let seen = 0;
    /** The module's reply to one request, as the hex a client would read off the line. */
    const exchange = (request: string): string => {
      host.raw(hex(request));
      const all = host.bytes();
      const reply = all.subarray(seen);
      seen = all.length;
      return Buffer.from(reply).toString("hex");
    };

    expect(exchange("EF01 FFFFFFFF 01 0007 13 00000000 001B")).toBe(OK); // VfyPwd
    expect(exchange("EF01 FFFFFFFF 01 0003 01 0005")).toBe("ef01ffffffff07000302000c"); // GenImg: no finger
    host.module.placeFinger(renderSimplePrint({ seed: 7, position: 2, width: 256, height: 288 }));
    expect(exchange("EF01 FFFFFFFF 01 0003 01 0005")).toBe(OK); // GenImg
    expect(exchange("EF01 FFFFFFFF 01 0004 02 01 0008")).toBe(OK); // Img2Tz -> buffer 1
    expect(exchange("EF01 FFFFFFFF 01 0003 01 0005")).toBe(OK); // GenImg, second impression
    expect(exchange("EF01 FFFFFFFF 01 0004 02 02 0009")).toBe(OK); // Img2Tz -> buffer 2
    expect(exchange("EF01 FFFFFFFF 01 0003 05 0009")).toBe(OK); // RegModel
    expect(exchange("EF01 FFFFFFFF 01 0006 06 01 0003 0011")).toBe(OK); // Store buffer 1 at page 3
    // TemplateNum: one template.
    expect(exchange("EF01 FFFFFFFF 01 0003 1D 0021")).toBe("ef01ffffffff0700050000010" + "00d");

    // Identify: a fresh capture searched across pages 0..999.
    expect(exchange("EF01 FFFFFFFF 01 0003 01 0005")).toBe(OK);
    expect(exchange("EF01 FFFFFFFF 01 0004 02 01 0008")).toBe(OK);
    const search = exchange("EF01 FFFFFFFF 01 0008 04 01 0000 03E8 00F9");
    // Acknowledge, length 7: confirmation 00, page 0003, then a 2-byte score and the checksum.
    expect(search.slice(0, 24)).toBe("ef01ffffffff070007000003");
    const score = parseInt(search.slice(24, 28), 16);
    const sum = 0x07 + 0x00 + 0x07 + 0x00 + 0x00 + 0x03 + (score >> 8) + (score & 0xff);
    expect(search.slice(28)).toBe(sum.toString(16).padStart(4, "0"));
    expect(score).toBeGreaterThan(50);

    // A different finger is not found: confirmation 09, no page or score worth reading.
    host.module.placeFinger(renderSimplePrint({ seed: 8, position: 7, width: 256, height: 288 }));
    expect(exchange("EF01 FFFFFFFF 01 0003 01 0005")).toBe(OK);
    expect(exchange("EF01 FFFFFFFF 01 0004 02 01 0008")).toBe(OK);
    expect(exchange("EF01 FFFFFFFF 01 0008 04 01 0000 03E8 00F9").slice(18, 20)).toBe("09");
  });
});
