import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';
import { Created } from './endpoint';

/** Sends a handler's `Created` answer as its body with the resource URL in `Location`. */
export class CreatedInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!(value instanceof Created)) return value;
        context.switchToHttp().getResponse<Response>().setHeader('Location', value.location);
        return value.body;
      }),
    );
  }
}
