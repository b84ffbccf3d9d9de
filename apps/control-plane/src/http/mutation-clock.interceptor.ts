import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { finalize, type Observable } from 'rxjs';
import { type MutationClock } from './coalesced-read';

/** Ticks the clock when a mutation starts and again once it has committed, before its answer is sent. */
export class MutationClockInterceptor implements NestInterceptor {
  constructor(private readonly clock: MutationClock) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = context.switchToHttp().getRequest<Request>().method;
    if (method === 'GET' || method === 'HEAD') return next.handle();
    this.clock.tick();
    return next.handle().pipe(finalize(() => this.clock.tick()));
  }
}
