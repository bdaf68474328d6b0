import { Injectable } from '@nestjs/common';

/** Wall clock behind a seam, so time-dependent rules can be tested without sleeping. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
