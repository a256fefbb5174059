import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { ChatWidget } from "@/components/chat/ChatWidget";
import { Header } from "@/components/Header";
import { Providers } from "@/components/Providers";

export const metadata: Metadata = {
  title: "Aarya — live fashion store",
  description: "Shop Aarya: live stock, live order tracking.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Providers>
          <Header />
          <main id="main" className="mx-auto max-w-6xl px-4 py-6">
            {children}
          </main>
          <ChatWidget />
        </Providers>
      </body>
    </html>
  );
}
